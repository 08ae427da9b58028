// Charts for 考核评价, drawn by the locally served Apache ECharts from JSON the page carries
// (<script type="application/json">), so the Content-Security-Policy can forbid inline script.
(function () {
  "use strict";
  const RED = "#C8161D", BLUE = "#2F6FDE", GREEN = "#2E9D5B", GREY = "#8C8C8C";
  const FONT = '"PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", sans-serif';

  function go(params) {
    const url = params && params.data && params.data.url;
    if (url) window.location.href = url;
  }

  const builders = {
    trend(d) {
      return {
        tooltip: { trigger: "axis" }, legend: { data: ["收到", "办结"], top: 0, right: 8 },
        grid: { left: 48, right: 16, top: 36, bottom: 32 },
        xAxis: { type: "category", data: d.labels }, yAxis: { type: "value", minInterval: 1 },
        series: [
          { name: "收到", type: "line", data: d.received, itemStyle: { color: BLUE } },
          { name: "办结", type: "line", data: d.resolved, itemStyle: { color: GREEN } },
        ],
      };
    },
    funnel(d) {
      return {
        tooltip: { trigger: "item", formatter: "{b}：{c} 件" },
        series: [{ type: "funnel", sort: "none", left: "10%", width: "80%", minSize: "20%",
          label: { position: "inside", formatter: "{b} {c}", color: "#fff" }, data: d,
          itemStyle: { color: RED, opacity: 0.85 } }],
      };
    },
    by_sub(d) {
      return {
        tooltip: { trigger: "axis" }, grid: { left: 110, right: 24, top: 16, bottom: 24 },
        xAxis: { type: "value", min: 0, max: 100 },
        yAxis: { type: "category", inverse: true, data: d.labels },
        series: [{ name: "综合得分", type: "bar", itemStyle: { color: RED },
          data: d.composite.map((v, i) => ({ value: v, url: d.urls[i] })) }],
      };
    },
    top(d) {
      return {
        tooltip: { trigger: "axis" }, grid: { left: 130, right: 24, top: 16, bottom: 24 },
        xAxis: { type: "value", minInterval: 1 }, yAxis: { type: "category", inverse: true, data: d.labels },
        series: [{ name: "诉求件数", type: "bar", itemStyle: { color: BLUE },
          data: d.values.map((v, i) => ({ value: v, url: d.urls[i] })) }],
      };
    },
    ranking(d) {
      return {
        tooltip: { trigger: "axis" }, grid: { left: 130, right: 24, top: 16, bottom: 24 },
        xAxis: { type: "value" }, yAxis: { type: "category", inverse: true, data: d.labels },
        series: [{ type: "bar", itemStyle: { color: RED }, data: d.values }],
      };
    },
    map(d) {
      if (!d.geojson.features.length) return null;  // no boundaries yet: the page lists the areas missing them
      echarts.registerMap(d.name, d.geojson);
      const values = d.data.map((x) => x.value).filter((v) => v !== null);
      return {
        tooltip: { trigger: "item", formatter: (p) => p.name + "：" + (p.data && p.data.text ? p.data.text : "无数据") },
        visualMap: { seriesIndex: 0, min: values.length ? Math.min(...values) : 0, max: values.length ? Math.max(...values) : 1,
          calculable: true, left: 8, bottom: 8, text: ["高", "低"],
          inRange: { color: d.reverse ? [RED, "#FCE8C4", "#E8F3EA"] : ["#FFF4E6", "#F08A5D", RED] } },
        geo: { map: d.name, roam: true, nameProperty: "name", label: { show: true, fontSize: 11, color: "#333" },
          emphasis: { label: { show: true }, itemStyle: { areaColor: "#FFD666" } },
          itemStyle: { borderColor: "#fff", borderWidth: 1, areaColor: "#EEE" } },
        series: [{ type: "map", geoIndex: 0, data: d.data },
          { type: "scatter", name: "诉求", coordinateSystem: "geo", data: d.points || [], symbolSize: 5,
            itemStyle: { color: "#1F3A93", opacity: 0.7 }, tooltip: { formatter: (p) => p.name } }],
      };
    },
  };

  function draw() {
    if (typeof echarts === "undefined") return;
    document.querySelectorAll("[data-chart]").forEach((el) => {
      const source = document.getElementById(el.dataset.source);
      if (!source) return;
      const all = JSON.parse(source.textContent);
      const data = el.dataset.chart === "map" ? all : all[el.dataset.chart];
      const option = builders[el.dataset.chart](data);
      if (!option) return;
      option.textStyle = { fontFamily: FONT };
      option.animation = false;
      const chart = echarts.init(el, null, { renderer: "canvas", locale: "ZH" });
      chart.setOption(option);
      chart.on("click", go);
      window.addEventListener("resize", () => chart.resize());
      el.dataset.drawn = "1";
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw);
  else draw();
})();
