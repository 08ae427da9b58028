// Where a request happened, on maps drawn by the locally served ECharts from our own boundaries (no online
// tiles): the intake forms' picker (click, or "使用我的位置", fills the hidden latitude/longitude and the
// community and grid selects through /areas/at/) and a request's small map (its grid and its point).
(function () {
  "use strict";
  const RED = "#C8161D";
  const FONT = '"PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", sans-serif';
  let maps = 0;
  // ECharts (~1 MB) is fetched after the page is up, so the form and its selects work before it arrives.
  const ECHARTS = document.currentScript && document.currentScript.dataset.echarts;
  let loading = null;

  function withEcharts() {
    if (typeof echarts !== "undefined") return Promise.resolve();
    if (!loading) {
      loading = new Promise((resolve, reject) => {
        const s = document.createElement("script");
        s.src = ECHARTS; s.onload = resolve; s.onerror = reject;
        document.head.appendChild(s);
      });
    }
    return loading;
  }

  function draw(el, geojson, point) {
    const name = "minqing-places-" + (maps += 1);
    echarts.registerMap(name, geojson);
    const chart = echarts.init(el, null, { renderer: "canvas", locale: "ZH" });
    chart.setOption({
      animation: false, textStyle: { fontFamily: FONT },
      tooltip: { trigger: "item", formatter: (p) => p.name || "" },
      geo: { map: name, roam: true, label: { show: false },
        itemStyle: { areaColor: "#F4F6F9", borderColor: "#9AA8BC", borderWidth: 1 },
        emphasis: { label: { show: false }, itemStyle: { areaColor: "#FFE7BA" } } },
      series: [{ type: "scatter", coordinateSystem: "geo", symbolSize: 16, symbol: "pin",
        itemStyle: { color: RED }, data: point ? [point] : [] }],
    });
    window.addEventListener("resize", () => chart.resize());
    return chart;
  }

  function picker(el) {
    const box = el.closest(".field");
    const form = el.closest("form");
    const lat = form.querySelector("[name=latitude]"), lon = form.querySelector("[name=longitude]");
    const text = box.querySelector("[data-point-text]"), clear = box.querySelector("[data-clear]");
    const locate = box.querySelector("[data-locate]");
    const community = form.querySelector("#id_community"), grid = form.querySelector("#id_grid");
    let chart = null;

    function pick(lng, la, how) {
      lat.value = la.toFixed(6);
      lon.value = lng.toFixed(6);
      clear.hidden = false;
      if (chart) chart.setOption({ series: [{ data: [[lng, la]] }] });
      text.textContent = how + "：北纬 " + lat.value + "，东经 " + lon.value + "（正在查找所在社区…）";
      fetch(el.dataset.at + "?lat=" + lat.value + "&lon=" + lon.value, { headers: { Accept: "application/json" } })
        .then((r) => r.json())
        .then((j) => {
          if (!j.ok) { text.textContent = j.message; return; }
          text.textContent = how + "：" + j.label + "（北纬 " + lat.value + "，东经 " + lon.value + "）";
          if (!community) return;
          if (!community.querySelector('option[value="' + j.community + '"]')) {
            text.textContent += "——该社区不在您的工作范围内，请选择社区。";
            return;
          }
          if (community.value !== String(j.community)) {
            if (grid && j.grid) {
              grid.addEventListener("htmx:afterSwap", function once() {
                grid.removeEventListener("htmx:afterSwap", once);
                grid.value = String(j.grid);
                grid.dispatchEvent(new Event("change", { bubbles: true }));
              });
            }
            community.value = String(j.community);
            community.dispatchEvent(new Event("change", { bubbles: true }));
          } else if (grid && j.grid && grid.value !== String(j.grid)) {
            grid.value = String(j.grid);
            grid.dispatchEvent(new Event("change", { bubbles: true }));
          }
        })
        .catch(() => { text.textContent = "网络不畅，未能查到所在社区；请直接选择社区。"; });
    }

    clear.addEventListener("click", () => {
      lat.value = lon.value = "";
      clear.hidden = true;
      text.textContent = "未选位置";
      if (chart) chart.setOption({ series: [{ data: [] }] });
    });
    if (locate && navigator.geolocation) {
      locate.hidden = false;
      locate.addEventListener("click", () => {
        text.textContent = "正在获取您的位置…";
        navigator.geolocation.getCurrentPosition(
          (pos) => pick(pos.coords.longitude, pos.coords.latitude, "我的位置"),
          (err) => {
            text.textContent = (err.code === 1 ? "未获准使用位置" : "无法获取位置") + "，请在地图上点选，或直接选择社区。";
          },
          { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
      });
    }
    Promise.all([withEcharts(), fetch(el.dataset.shapes).then((r) => r.json())]).then(([, geojson]) => {
      const start = lat.value && lon.value ? [parseFloat(lon.value), parseFloat(lat.value)] : null;
      chart = draw(el, geojson, start);
      chart.getZr().on("click", (e) => {
        const p = chart.convertFromPixel("geo", [e.offsetX, e.offsetY]);
        if (p && isFinite(p[0]) && isFinite(p[1])) pick(p[0], p[1], "已选位置");
      });
      el.dataset.drawn = "1";
    }).catch(() => { el.hidden = true; });
  }

  function mini(el) {
    const point = el.dataset.point.split(",").map(parseFloat);
    Promise.all([withEcharts(), fetch(el.dataset.shapes).then((r) => r.json())]).then(([, geojson]) => {
      draw(el, geojson, point);
      el.dataset.drawn = "1";
    }).catch(() => { el.hidden = true; });
  }

  function start() {
    document.querySelectorAll(".map-picker").forEach(picker);
    document.querySelectorAll(".mini-map[data-point]").forEach(mini);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
