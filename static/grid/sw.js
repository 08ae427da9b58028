/* The patrol app's service worker (served as /grid/sw.js by minqing/grid/views.py, scope /grid/).
   It keeps the patrol page and its files so that the page opens without a signal. It never answers a POST:
   records are queued by the page itself (patrol.js, IndexedDB) and sent when the network is back. */
"use strict";
const CACHE = "minqing-grid-v1";
const PAGE = "/grid/patrol/";
const FILES = ["/static/grid/patrol.js", "/static/grid/patrol.css", "/static/grid/manifest.webmanifest",
               "/static/grid/icon-192.png", "/static/grid/icon-512.png"];

function keep(cache, url, response) {
  // Only a real page: not the login page a signed-out fetch is redirected to.
  if (response && response.ok && !response.redirected) return cache.put(url, response);
  return undefined;
}

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => Promise.all(
    [PAGE, ...FILES].map((url) => fetch(url, {credentials: "same-origin"}).then((r) => keep(cache, url, r)).catch(() => undefined))
  )).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(caches.keys().then((keys) => Promise.all(
    keys.filter((k) => k.startsWith("minqing-grid") && k !== CACHE).map((k) => caches.delete(k))
  )).then(() => self.clients.claim()));
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname === PAGE) {  // network first: the household list may have changed
    event.respondWith(fetch(request).then((response) => {
      const copy = response.clone();
      caches.open(CACHE).then((cache) => keep(cache, PAGE, copy));
      return response;
    }).catch(() => caches.match(PAGE).then((hit) => hit || new Response(
      "<!doctype html><meta charset=utf-8><title>离线</title><p>没有网络，且这台手机还没有打开过巡查页面。请有信号时先打开一次。</p>",
      {status: 503, headers: {"Content-Type": "text/html; charset=utf-8"}}))));
    return;
  }
  if (FILES.includes(url.pathname)) {  // cached first, refreshed in the background
    event.respondWith(caches.open(CACHE).then((cache) => cache.match(url.pathname).then((hit) => {
      const fresh = fetch(request).then((r) => { keep(cache, url.pathname, r.clone()); return r; });
      return hit || fresh;
    })));
  }
});
