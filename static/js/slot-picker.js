// The appointment page's slot picker: the free starts for the chosen service, day and waiting come
// from the server (the same free slots the phone agent offers); a click fills the day and time boxes.
// The vehicle list follows the chosen customer. Without this script the page still works: type a time.
(function () {
  "use strict";

  function start() {
    var picker = document.querySelector(".slot-picker");
    if (!picker) return;
    var form = picker.closest("form");
    var day = picker.querySelector("input.slot-day");
    var time = picker.querySelector("input.slot-time");
    var service = form.querySelector("select[name='service_type']");
    var waiter = form.querySelector("input[name='waiter']");
    var customer = form.querySelector("select[name='customer']");
    var vehicle = form.querySelector("select[name='vehicle']");
    var asked = 0;

    function serviceId() {
      return service ? service.value : picker.dataset.service || "";
    }

    function markChosen() {
      picker.querySelectorAll("button.free-time").forEach(function (button) {
        var chosen = button.dataset.day === day.value && button.dataset.time === time.value.trim();
        button.classList.toggle("selected", chosen);
        button.setAttribute("aria-pressed", chosen ? "true" : "false");
      });
    }

    function refreshTimes() {
      var query = new URLSearchParams({service: serviceId(), day: day.value, waiter: waiter && waiter.checked ? "1" : ""});
      if (picker.dataset.moving) query.set("moving", picker.dataset.moving); // its own time is free to it
      var mine = ++asked;
      picker.classList.add("loading");
      fetch(picker.dataset.freeTimesUrl + "?" + query, {credentials: "same-origin"})
        .then(function (response) { return response.ok ? response.text() : Promise.reject(response.status); })
        .then(function (html) {
          if (mine !== asked) return; // an answer to an older question
          picker.querySelector(".free-times").outerHTML = html;
          markChosen();
        })
        .catch(function () {})
        .finally(function () { if (mine === asked) picker.classList.remove("loading"); });
    }

    function pointAddLinkAt(owner) {
      var add = document.getElementById("add_id_vehicle");
      if (!add) return;
      var url = new URL(add.href, window.location.href);
      if (owner) url.searchParams.set("owner", owner); else url.searchParams.delete("owner");
      add.href = url.toString();
    }

    function refreshVehicles() {
      if (!customer || !vehicle) return;
      var owner = customer.value;
      pointAddLinkAt(owner);
      if (!owner) {
        vehicle.innerHTML = "";
        vehicle.add(new Option("Pick the customer first", ""));
        return;
      }
      fetch(picker.dataset.vehiclesUrl + "?" + new URLSearchParams({customer: owner}), {credentials: "same-origin"})
        .then(function (response) { return response.ok ? response.json() : Promise.reject(response.status); })
        .then(function (found) {
          if (customer.value !== owner) return;
          var kept = vehicle.value;
          vehicle.innerHTML = "";
          vehicle.add(new Option("---------", ""));
          found.vehicles.forEach(function (v) {
            vehicle.add(new Option(v.label, String(v.id), false, String(v.id) === kept));
          });
        })
        .catch(function () {});
    }

    picker.addEventListener("click", function (event) {
      var button = event.target.closest("button.free-time");
      if (!button) return;
      day.value = button.dataset.day;
      time.value = button.dataset.time;
      markChosen();
      if (picker.querySelector(".free-times").dataset.day !== button.dataset.day) refreshTimes();
    });
    [day, service, waiter].forEach(function (box) { if (box) box.addEventListener("change", refreshTimes); });
    time.addEventListener("input", markChosen);
    if (customer) {
      // The customer box is the admin's autocomplete (select2), which announces changes through jQuery.
      if (window.django && window.django.jQuery) window.django.jQuery(customer).on("change", refreshVehicles);
      else customer.addEventListener("change", refreshVehicles);
      pointAddLinkAt(customer.value);
    }
    markChosen();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
