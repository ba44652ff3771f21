// The call page's player: the caller's and the bot's tracks (one timeline: calls.pipeline.CallPipeline.audio_tracks) played together
// from one play button and one position bar; each turn's play button plays that turn and stops at its end.
(function () {
  "use strict";
  var root = document.getElementById("call-player");
  if (!root) return;
  var tracks = Array.prototype.slice.call(root.querySelectorAll("audio"));
  var toggle = root.querySelector("[data-player=toggle]");
  var seek = root.querySelector("[data-player=seek]");
  var time = root.querySelector("[data-player=time]");
  var stopAt = null;
  var playingRow = null;

  function length() {
    return Math.max.apply(null, tracks.map(function (a) { return isFinite(a.duration) ? a.duration : 0; }));
  }
  function now() {
    return Math.max.apply(null, tracks.map(function (a) { return a.currentTime; }));
  }
  function clock(seconds) {
    var s = Math.floor(seconds);
    return Math.floor(s / 60) + ":" + String(s % 60).padStart(2, "0");
  }
  function show() {
    var at = now();
    seek.max = length().toFixed(2);
    seek.value = at.toFixed(2);
    time.textContent = clock(at) + " / " + clock(length());
    root.dataset.position = at.toFixed(2);
  }
  function playing(on) {
    root.dataset.playing = on ? "1" : "0";
    toggle.querySelector("i").className = on ? "bi bi-pause-fill" : "bi bi-play-fill";
    if (!on && playingRow) { playingRow.classList.remove("table-active"); playingRow = null; }
  }
  function play() {
    var at = now();
    tracks.forEach(function (a) {
      a.currentTime = Math.min(at, isFinite(a.duration) ? a.duration : at);
      if (a.currentTime < a.duration) a.play().catch(function () { playing(false); });
    });
    playing(true);
  }
  function pause() {
    tracks.forEach(function (a) { a.pause(); });
    playing(false);
  }
  function moveTo(seconds) {
    tracks.forEach(function (a) { a.currentTime = Math.min(seconds, isFinite(a.duration) ? a.duration : seconds); });
    show();
  }

  tracks.forEach(function (a) {
    a.addEventListener("loadedmetadata", show);
    a.addEventListener("timeupdate", function () {
      var at = now();
      // The tracks drift apart by a few frames over a long call: pull the one behind back in step.
      tracks.forEach(function (b) { if (!b.paused && !b.ended && at - b.currentTime > 0.15) b.currentTime = at; });
      show();
      if (stopAt !== null && at >= stopAt) { stopAt = null; pause(); }
    });
    a.addEventListener("ended", function () {
      if (tracks.every(function (b) { return b.ended || b.paused; })) playing(false);
    });
  });
  toggle.addEventListener("click", function () {
    if (root.dataset.playing === "1") { pause(); return; }
    stopAt = null;
    play();
  });
  seek.addEventListener("input", function () { moveTo(parseFloat(seek.value)); });
  root.querySelectorAll("[data-player=mute]").forEach(function (box) {
    box.addEventListener("change", function () {
      tracks.forEach(function (a) { if (a.dataset.track === box.dataset.track) a.muted = !box.checked; });
    });
  });
  document.querySelectorAll("[data-play-from]").forEach(function (button) {
    button.addEventListener("click", function () {
      pause();
      moveTo(parseFloat(button.dataset.playFrom));
      stopAt = parseFloat(button.dataset.playTo);
      play();
      playingRow = button.closest("tr");
      if (playingRow) playingRow.classList.add("table-active");
    });
  });
  show();  // a track whose metadata arrived before this script ran fires no loadedmetadata for it
})();
