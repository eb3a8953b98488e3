/*! visits.js — a hand-written widget, the kind of script no bundler touches. MIT */

// Counts visits to this page in localStorage and offers to show the count.
var VISITS_KEY = "orbit-coffee-visits";

function readVisits() {
  var stored = window.localStorage.getItem(VISITS_KEY);
  var count = stored === null ? 0 : parseInt(stored, 10);
  return isNaN(count) ? 0 : count;
}

function recordVisit() {
  var count = readVisits() + 1;
  window.localStorage.setItem(VISITS_KEY, String(count));
  return count;
}

// A global other scripts on the page call: it must keep its name when minified.
function describeVisits(count) {
  if (count === 1) {
    return "This is your first visit. Welcome!";
  }
  return "You have been here " + count + " times. Thanks for coming back!";
}

document.addEventListener("DOMContentLoaded", function () {
  var count = recordVisit();
  var button = document.querySelector("#visits");
  if (!button) {
    return;
  }
  button.addEventListener("click", function () {
    var note = document.createElement("p");
    note.id = "visit-note";
    note.textContent = describeVisits(count);
    button.insertAdjacentElement("afterend", note);
  });
});
