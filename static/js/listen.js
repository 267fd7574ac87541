/* "Listen" buttons: read a part of the page aloud with the device's own voice.
   Progressive enhancement: without JavaScript or speech synthesis no button appears,
   and the page works as before. */
(function () {
  "use strict";
  if (!("speechSynthesis" in window) || !("SpeechSynthesisUtterance" in window)) {
    return;
  }
  var speaking = null;

  function reset(button) {
    button.textContent = button.getAttribute("data-listen-label");
    button.setAttribute("aria-pressed", "false");
  }

  function speak(target, button) {
    window.speechSynthesis.cancel();
    if (speaking === button) {
      reset(button);
      speaking = null;
      return;
    }
    if (speaking) {
      reset(speaking);
    }
    var utterance = new SpeechSynthesisUtterance(target.innerText);
    utterance.lang = document.documentElement.lang || "en";
    utterance.rate = 0.95;
    utterance.onend = function () {
      reset(button);
      speaking = null;
    };
    speaking = button;
    button.textContent = button.getAttribute("data-stop-label");
    button.setAttribute("aria-pressed", "true");
    window.speechSynthesis.speak(utterance);
  }

  document.querySelectorAll("[data-listen]").forEach(function (holder) {
    var target = document.getElementById(holder.getAttribute("data-listen"));
    if (!target) {
      return;
    }
    var button = document.createElement("button");
    button.type = "button";
    button.className = "button listen-button";
    button.setAttribute("data-listen-label", holder.getAttribute("data-listen-label"));
    button.setAttribute("data-stop-label", holder.getAttribute("data-stop-label"));
    reset(button);
    button.addEventListener("click", function () {
      speak(target, button);
    });
    holder.appendChild(button);
  });
})();
