/* The patrol page (templates/grid/patrol.html). Everything recorded goes first into an IndexedDB queue on the
   phone, then to /grid/sync/ one record at a time, in order. Each record carries a UUID made here, so a record
   sent twice (the response was lost, the page was reloaded mid-sync) is saved once by the server. A record is
   dropped from the queue only when the server has answered for it. */
"use strict";
(function () {
  const data = JSON.parse(document.getElementById("grid-data").textContent);
  const SYNC = document.body.dataset.sync;
  const STATE_KEY = "minqing-grid-patrol-" + data.worker;
  const $ = (id) => document.getElementById(id);

  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register(document.body.dataset.sw, {scope: "/grid/"}).catch(() => undefined);
    navigator.serviceWorker.ready.then(() => {
      document.body.dataset.offlineReady = "1";
      $("offline-ready").hidden = false;
    });
  }

  function uuid4() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    const b = crypto.getRandomValues(new Uint8Array(16));  // also on plain http, where randomUUID is missing
    b[6] = (b[6] & 0x0f) | 0x40; b[8] = (b[8] & 0x3f) | 0x80;
    const h = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }

  // --- the queue (IndexedDB: it can hold photos as Blobs) ---------------------------------------------------
  const dbReady = new Promise((resolve, reject) => {
    const open = indexedDB.open("minqing-grid", 1);
    open.onupgradeneeded = () => open.result.createObjectStore("outbox", {keyPath: "seq", autoIncrement: true});
    open.onsuccess = () => resolve(open.result);
    open.onerror = () => reject(open.error);
  });
  function store(mode, work) {
    return dbReady.then((db) => new Promise((resolve, reject) => {
      const tx = db.transaction("outbox", mode);
      const req = work(tx.objectStore("outbox"));
      tx.oncomplete = () => resolve(req ? req.result : undefined);
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error);
    }));
  }
  const enqueue = (item) => store("readwrite", (s) => s.add(item));
  const queued = () => store("readonly", (s) => s.getAll()).then((items) => items.filter((i) => i.owner === data.worker));
  const drop = (seq) => store("readwrite", (s) => s.delete(seq));
  const update = (item) => store("readwrite", (s) => s.put(item));

  // --- the current patrol (localStorage: small, read at once when the page opens offline) ----------------
  function load() { try { return JSON.parse(localStorage.getItem(STATE_KEY)) || null; } catch (e) { return null; } }
  function save(state) { if (state) localStorage.setItem(STATE_KEY, JSON.stringify(state)); else localStorage.removeItem(STATE_KEY); }
  let patrol = load();

  function csrf() {
    const m = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    if (m) return decodeURIComponent(m[1]);
    const input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function say(text, ok) {
    const el = $("message");
    el.textContent = text; el.hidden = !text; el.classList.toggle("ok", !!ok);
  }

  // --- sending ---------------------------------------------------------------------------------------------
  let syncing = false;
  async function sync() {
    if (syncing) return;
    syncing = true;
    try {
      for (const item of await queued()) {
        if (item.error) continue;
        const body = new FormData();
        body.append("record", JSON.stringify(item.record));
        if (item.photo) body.append("photo", item.photo, "photo.jpg");
        let response;
        try {
          response = await fetch(SYNC, {method: "POST", body, credentials: "same-origin",
                                        headers: {"X-CSRFToken": csrf(), "Accept": "application/json"}});
        } catch (e) {
          break;  // no network: everything stays queued, in order
        }
        let answer = null;
        try { answer = await response.json(); } catch (e) { answer = null; }
        if (response.ok && answer && answer.ok) {
          await drop(item.seq);
          mark(item.record.id, "synced");
          continue;
        }
        if (!answer || response.status === 401 || response.status >= 500) {
          // Signed out, a stale CSRF cookie or a server error: keep it and try again later.
          say(answer && answer.message ? answer.message : "暂时无法上传，请确认已登录，稍后会自动重试。");
          break;
        }
        item.error = answer.message || "上传失败";  // refused for a reason a retry will not change
        await update(item);
        mark(item.record.id, "failed", item.error);
      }
    } finally {
      syncing = false;
      await showQueue();
    }
  }

  async function showQueue() {
    const items = await queued();
    const waiting = items.filter((i) => !i.error).length;
    $("queue").textContent = waiting ? `待上传：${waiting} 条` : "已全部同步";
    const failed = $("failed");
    failed.replaceChildren(...items.filter((i) => i.error).map((i) => {
      const li = document.createElement("li");
      li.textContent = `${describe(i.record)}：${i.error}`;
      const remove = document.createElement("button");
      remove.type = "button"; remove.className = "secondary"; remove.textContent = "删除";
      remove.addEventListener("click", () => drop(i.seq).then(showQueue));
      li.append(" ", remove);
      return li;
    }));
  }

  function describe(record) {
    if (record.type === "patrol_start") return "开始巡查";
    if (record.type === "patrol_end") return "结束巡查";
    return `走访 ${record.label || ""}`;
  }

  function mark(id, state, error) {
    if (!patrol) return;
    const v = patrol.visits.find((x) => x.id === id);
    if (v) { v.state = state; v.error = error || ""; save(patrol); renderVisits(); }
  }

  // --- the screen --------------------------------------------------------------------------------------------
  function showNet() {
    const el = $("net");
    el.textContent = navigator.onLine ? "在线" : "离线";
    el.classList.toggle("offline", !navigator.onLine);
  }

  function fillSelect(select, options) {
    select.append(...options.map(([value, label]) => { const o = document.createElement("option"); o.value = value; o.textContent = label; return o; }));
  }

  function renderVisits() {
    const labels = {synced: "已上传", queued: "待上传", failed: "失败"};
    $("visits").replaceChildren(...(patrol ? patrol.visits : []).map((v) => {
      const li = document.createElement("li");
      li.textContent = `${v.time} ${v.label} · ${v.finding}`;
      const s = document.createElement("span");
      s.className = `state ${v.state}`; s.textContent = labels[v.state] + (v.error ? `：${v.error}` : "");
      li.append(s);
      return li;
    }));
  }

  function render() {
    $("start").hidden = !!patrol;
    $("patrol").hidden = !patrol;
    if (patrol) {
      const grid = data.grids.find((g) => g.id === patrol.grid);
      $("patrol-since").textContent = `${grid ? grid.name : ""} · ${patrol.time} 开始`;
      const buildings = [...new Set(data.households.filter((h) => h.grid === patrol.grid).map((h) => h.building))];
      const select = $("v-building");
      select.replaceChildren(select.options[0]);
      fillSelect(select, buildings.map((b) => [b, b]));
      fillHouseholds();
    }
    renderVisits();
    showQueue();
  }

  function fillHouseholds() {
    const building = $("v-building").value;
    const select = $("v-household");
    select.replaceChildren(select.options[0]);
    if (!building || !patrol) return;
    fillSelect(select, data.households.filter((h) => h.grid === patrol.grid && h.building === building)
      .map((h) => [h.id, h.label.slice(building.length).trim() || h.label]));
  }

  const now = () => new Date();
  const hhmm = (d) => `${String(d.getHours()).padStart(2, "0")}:${String(d.getMinutes()).padStart(2, "0")}`;

  async function startPatrol() {
    const grid = Number($("start-grid").value);
    const at = now();
    patrol = {id: uuid4(), grid, time: hhmm(at), visits: []};
    save(patrol);
    await enqueue({owner: data.worker, record: {type: "patrol_start", id: patrol.id, grid, at: at.toISOString()}, photo: null});
    render();
    sync();
  }

  async function endPatrol() {
    if (!patrol) return;
    await enqueue({owner: data.worker, record: {type: "patrol_end", id: patrol.id, note: $("end-note").value, at: now().toISOString()}, photo: null});
    patrol = null;
    save(null);
    $("end-note").value = "";
    say("巡查已结束。", true);
    render();
    sync();
  }

  function position() {
    if (!$("v-locate").checked || !navigator.geolocation) return Promise.resolve(null);
    return new Promise((resolve) => navigator.geolocation.getCurrentPosition(
      (p) => resolve(p.coords), () => resolve(null), {timeout: 8000, maximumAge: 120000}));
  }

  async function shrink(file) {
    // A phone photo is several MB; on a weak signal 1600 px is plenty (the server re-encodes it anyway).
    try {
      const bitmap = await createImageBitmap(file, {imageOrientation: "from-image"});
      const scale = Math.min(1, 1600 / Math.max(bitmap.width, bitmap.height));
      const canvas = document.createElement("canvas");
      canvas.width = Math.round(bitmap.width * scale); canvas.height = Math.round(bitmap.height * scale);
      canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
      return await new Promise((resolve) => canvas.toBlob((b) => resolve(b || file), "image/jpeg", 0.85));
    } catch (e) {
      return file;
    }
  }

  async function saveVisit(event) {
    event.preventDefault();
    if (!patrol) return;
    const householdId = $("v-household").value;
    const place = $("v-place").value.trim();
    const finding = $("v-finding").value;
    const note = $("v-note").value.trim();
    const error = $("v-error");
    let problem = "";
    if (!householdId && !place) problem = "请选择住户/单位，或填写地点。";
    else if ((finding === "problem" || finding === "need") && note.length < 5) problem = "发现问题或需求时，请写清楚情况（至少 5 个字）。";
    error.textContent = problem; error.hidden = !problem;
    if (problem) return;
    $("save-visit").disabled = true;
    try {
      const household = data.households.find((h) => String(h.id) === householdId);
      const label = household ? household.label : place;
      const file = $("v-photo").files[0];
      const [coords, photo] = await Promise.all([position(), file ? shrink(file) : Promise.resolve(null)]);
      const at = now();
      const record = {type: "visit", id: uuid4(), patrol: patrol.id, grid: patrol.grid, household: household ? household.id : null,
                      place: household ? "" : place, finding, note, label, at: at.toISOString(),
                      lat: coords ? coords.latitude.toFixed(6) : null, lng: coords ? coords.longitude.toFixed(6) : null};
      await enqueue({owner: data.worker, record, photo});
      const findingLabel = (data.findings.find((f) => f.value === finding) || {}).label || "";
      patrol.visits.push({id: record.id, time: hhmm(at), label, finding: findingLabel, state: "queued"});
      save(patrol);
      $("visit-form").reset();
      fillHouseholds();
      say("已保存" + (navigator.onLine ? "，正在上传。" : "在手机里，有信号时自动上传。"), true);
      renderVisits();
      sync();
    } finally {
      $("save-visit").disabled = false;
    }
  }

  fillSelect($("start-grid"), data.grids.map((g) => [g.id, g.name]));
  fillSelect($("v-finding"), data.findings.map((f) => [f.value, f.label]));
  $("start-button").addEventListener("click", startPatrol);
  $("end-button").addEventListener("click", endPatrol);
  $("visit-form").addEventListener("submit", saveVisit);
  $("v-building").addEventListener("change", fillHouseholds);
  $("sync-button").addEventListener("click", () => { say(""); sync(); });
  window.addEventListener("online", () => { showNet(); sync(); });
  window.addEventListener("offline", showNet);
  setInterval(() => { if (navigator.onLine) sync(); }, 20000);
  showNet();
  render();
  sync();
})();
