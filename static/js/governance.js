// 治理专项: requests per month before and after the start (bars), satisfaction per month (line), drawn by
// the locally served Apache ECharts from the JSON the page carries (no inline script: the CSP forbids it).
(function () {
  "use strict";
  const RED = "#C8161D", GREY = "#8C8C8C", GREEN = "#2E9D5B";
  const FONT = '"PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", sans-serif';

  function draw() {
    if (typeof echarts === "undefined") return;
    document.querySelectorAll("[data-gov-chart]").forEach((el) => {
      const source = document.getElementById(el.dataset.source);
      if (!source) return;
      const d = JSON.parse(source.textContent);
      const chart = echarts.init(el, null, { renderer: "canvas", locale: "ZH" });
      chart.setOption({
        textStyle: { fontFamily: FONT }, animation: false,
        tooltip: { trigger: "axis" }, legend: { data: ["治理前", "治理后", "满意率"], top: 0, right: 8 },
        grid: { left: 48, right: 48, top: 36, bottom: 32 },
        xAxis: { type: "category", data: d.labels },
        yAxis: [{ type: "value", name: "件", minInterval: 1 }, { type: "value", name: "%", min: 0, max: 100 }],
        series: [
          { name: "治理前", type: "bar", stack: "n", data: d.before, itemStyle: { color: GREY } },
          { name: "治理后", type: "bar", stack: "n", data: d.after, itemStyle: { color: RED },
            markLine: { symbol: "none", label: { formatter: "启动" }, data: [{ xAxis: d.start }] } },
          { name: "满意率", type: "line", yAxisIndex: 1, connectNulls: true, data: d.satisfaction,
            itemStyle: { color: GREEN } },
        ],
      });
      window.addEventListener("resize", () => chart.resize());
      el.dataset.drawn = "1";
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw);
  else draw();
})();
