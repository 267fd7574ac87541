/* Guided practice player: speaks each written step with the device's own voice, in the
   page's language, then keeps the quiet time the step asks for; a timer, the step list,
   pause and resume. Progressive enhancement: without JavaScript or speech synthesis no
   controls appear and the written steps (the page) work as before.
   Test hook: window.p4pGuideTimeScale (default 1) shortens every wait, for browser tests. */
(function () {
  "use strict";
  if (!("speechSynthesis" in window) || !("SpeechSynthesisUtterance" in window)) {
    return;
  }
  var WORDS_PER_MINUTE = 130; // the same pace the content check assumes (curriculum models)
  var RATE = 0.9;
  var active = null; // only one guide speaks at a time

  function scale() {
    var value = Number(window.p4pGuideTimeScale);
    return value > 0 ? value : 1;
  }

  function clock(seconds) {
    seconds = Math.max(0, Math.round(seconds));
    var minutes = Math.floor(seconds / 60);
    var rest = seconds % 60;
    return minutes + ":" + (rest < 10 ? "0" : "") + rest;
  }

  function fill(format, values) {
    return format.replace(/\{(\w+)\}/g, function (_match, key) {
      return values[key];
    });
  }

  function pageLanguage() {
    return document.documentElement.lang || "en";
  }

  function voiceFor(language) {
    var voices = window.speechSynthesis.getVoices() || [];
    var base = language.toLowerCase().split("-")[0];
    var preferred = base === "es" ? "es-us" : base === "en" ? "en-us" : base;
    var exact = voices.filter(function (v) { return v.lang.toLowerCase().replace("_", "-") === preferred; });
    if (exact.length) {
      return exact[0];
    }
    var same = voices.filter(function (v) { return v.lang.toLowerCase().indexOf(base) === 0; });
    return same.length ? same[0] : null;
  }

  function button(label, className) {
    var element = document.createElement("button");
    element.type = "button";
    element.className = "button " + className;
    element.textContent = label;
    return element;
  }

  function Player(holder) {
    this.holder = holder;
    this.steps = Array.prototype.slice.call(holder.querySelectorAll(".guide-steps > li"));
    this.total = Number(holder.getAttribute("data-total-seconds")) || 0;
    this.controls = document.createElement("div");
    this.controls.className = "guide-player";
    this.start = button(holder.getAttribute("data-label-start"), "primary guide-start");
    this.toggle = button(holder.getAttribute("data-label-pause"), "guide-toggle");
    this.stopButton = button(holder.getAttribute("data-label-stop"), "guide-stop");
    this.status = document.createElement("p");
    this.status.className = "guide-status";
    this.status.setAttribute("role", "status");
    this.timer = document.createElement("p");
    this.timer.className = "guide-timer";
    this.toggle.hidden = true;
    this.stopButton.hidden = true;
    this.controls.appendChild(this.start);
    this.controls.appendChild(this.toggle);
    this.controls.appendChild(this.stopButton);
    this.controls.appendChild(this.status);
    this.controls.appendChild(this.timer);
    holder.insertBefore(this.controls, holder.querySelector(".guide-steps"));
    var self = this;
    this.start.addEventListener("click", function () { self.begin(); });
    this.toggle.addEventListener("click", function () {
      if (self.paused) { self.resume(); } else { self.pause(); }
    });
    this.stopButton.addEventListener("click", function () { self.stop(false); });
    this.reset();
  }

  Player.prototype.reset = function () {
    this.index = -1;
    this.phase = "idle"; // idle | speaking | quiet | done
    this.paused = false;
    this.elapsed = 0; // seconds of the script, not of the wall clock (see the test hook)
    this.quietLeft = 0;
    this.lastTick = null;
    this.steps.forEach(function (li) {
      li.classList.remove("is-current");
      li.removeAttribute("aria-current");
    });
    this.showTime();
  };

  Player.prototype.showTime = function () {
    this.timer.textContent = fill(this.holder.getAttribute("data-time-format"), {
      elapsed: clock(this.elapsed), total: clock(this.total)
    });
  };

  Player.prototype.showStep = function () {
    var text = fill(this.holder.getAttribute("data-step-format"), {
      n: this.index + 1, total: this.steps.length
    });
    if (this.phase === "quiet") {
      text += " · " + fill(this.holder.getAttribute("data-quiet-format"), { left: clock(this.quietLeft) });
    }
    if (this.paused) {
      text += " · " + this.holder.getAttribute("data-paused-label");
    }
    this.status.textContent = text;
  };

  Player.prototype.begin = function () {
    if (active && active !== this) {
      active.stop(false);
    }
    active = this;
    this.reset();
    this.start.hidden = true;
    this.toggle.hidden = false;
    this.stopButton.hidden = false;
    this.toggle.textContent = this.holder.getAttribute("data-label-pause");
    this.keepAwake();
    var self = this;
    this.ticker = window.setInterval(function () { self.tick(); }, 250);
    this.lastTick = Date.now();
    this.goTo(0);
  };

  Player.prototype.tick = function () {
    var now = Date.now();
    var seconds = (now - this.lastTick) / 1000 / scale();
    this.lastTick = now;
    if (this.paused || this.phase === "idle" || this.phase === "done") {
      return;
    }
    this.elapsed += seconds;
    if (this.phase === "quiet") {
      this.quietLeft -= seconds;
      if (this.quietLeft <= 0) {
        this.goTo(this.index + 1);
        return;
      }
    }
    this.showTime();
    this.showStep();
  };

  Player.prototype.goTo = function (index) {
    if (this.index >= 0) {
      this.steps[this.index].classList.remove("is-current");
      this.steps[this.index].removeAttribute("aria-current");
    }
    if (index >= this.steps.length) {
      this.finish();
      return;
    }
    this.index = index;
    var li = this.steps[index];
    li.classList.add("is-current");
    li.setAttribute("aria-current", "step");
    if (li.scrollIntoView) {
      li.scrollIntoView({ block: "nearest" });
    }
    this.speak();
  };

  Player.prototype.speak = function () {
    var self = this;
    var li = this.steps[this.index];
    var text = li.querySelector(".guide-say").textContent;
    var token = {};
    this.phase = "speaking";
    this.speaking = token;
    this.showStep();
    var utterance = new SpeechSynthesisUtterance(text);
    utterance.lang = pageLanguage();
    var voice = voiceFor(utterance.lang);
    if (voice) {
      utterance.voice = voice;
    }
    utterance.rate = RATE;
    this.utterance = utterance; // kept, or some browsers drop it before "end"
    function spoken() {
      if (self.speaking === token && !self.paused) {
        self.speaking = null;
        self.quiet(Number(li.getAttribute("data-pause")) || 0);
      }
    }
    utterance.onend = spoken;
    utterance.onerror = spoken;
    window.speechSynthesis.cancel();
    window.speechSynthesis.speak(utterance);
    // A device with no voice may never say "end": after the time the words would take,
    // move on unless the voice is still speaking.
    var estimate = text.split(/\s+/).length * 60 / WORDS_PER_MINUTE;
    function fallback() {
      if (self.speaking !== token) {
        return;
      }
      if (window.speechSynthesis.speaking && scale() === 1) {
        self.fallbackTimer = window.setTimeout(fallback, 500);
      } else {
        spoken();
      }
    }
    this.fallbackTimer = window.setTimeout(fallback, (estimate + 1) * 1000 * scale());
  };

  Player.prototype.quiet = function (seconds) {
    window.clearTimeout(this.fallbackTimer);
    this.phase = "quiet";
    this.quietLeft = seconds;
    if (seconds <= 0) {
      this.goTo(this.index + 1);
      return;
    }
    this.showStep();
  };

  Player.prototype.pause = function () {
    this.paused = true;
    this.speaking = null; // the step is said again, whole, on resume
    window.clearTimeout(this.fallbackTimer);
    window.speechSynthesis.cancel();
    this.toggle.textContent = this.holder.getAttribute("data-label-resume");
    this.toggle.setAttribute("aria-pressed", "true");
    this.showStep();
  };

  Player.prototype.resume = function () {
    this.paused = false;
    this.lastTick = Date.now();
    this.toggle.textContent = this.holder.getAttribute("data-label-pause");
    this.toggle.setAttribute("aria-pressed", "false");
    if (this.phase === "speaking") {
      this.speak();
    } else {
      this.showStep();
    }
  };

  Player.prototype.finish = function () {
    this.stop(true);
    this.phase = "done";
    this.status.textContent = this.holder.getAttribute("data-done-label");
  };

  Player.prototype.stop = function (finished) {
    window.clearInterval(this.ticker);
    window.clearTimeout(this.fallbackTimer);
    this.speaking = null;
    window.speechSynthesis.cancel();
    this.releaseAwake();
    this.start.hidden = false;
    this.toggle.hidden = true;
    this.stopButton.hidden = true;
    this.toggle.removeAttribute("aria-pressed");
    if (active === this) {
      active = null;
    }
    if (!finished) {
      this.reset();
      this.status.textContent = "";
    }
  };

  // Eyes closed for fifteen minutes: keep the screen (and so the timers) awake where the
  // browser allows it; where it does not, the player still works while the screen is on.
  Player.prototype.keepAwake = function () {
    var self = this;
    if (navigator.wakeLock && navigator.wakeLock.request) {
      navigator.wakeLock.request("screen").then(function (lock) {
        self.wakeLock = lock;
      }, function () {});
    }
  };

  Player.prototype.releaseAwake = function () {
    if (this.wakeLock) {
      this.wakeLock.release();
      this.wakeLock = null;
    }
  };

  document.querySelectorAll("[data-guide]").forEach(function (holder) {
    if (holder.querySelector(".guide-steps > li")) {
      holder.player = new Player(holder);
    }
  });
})();
