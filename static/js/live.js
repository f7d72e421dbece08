// Live calls: follow the call recorder's events over a WebSocket and keep the transcripts current.
// On every (re)connect the server-rendered list is fetched again, so nothing said while the
// socket was down is missed; events that arrive meanwhile are applied after it (turns that are
// already on the page are skipped by their index).
(function () {
  "use strict";
  const root = document.getElementById("live-calls");
  const status = document.getElementById("live-status");
  if (!root) return;
  const roleNames = { user: "Caller", assistant: "Agent" };
  let backoff = 500;
  let pending = null; // events received while the list is being reloaded
  const withAPerson = new Set(); // calls handed to an advisor or the voicemail: live until that ends

  function setStatus(text, state) {
    status.textContent = text;
    status.dataset.state = state;
  }

  function timeLabel(seconds) {
    const when = seconds ? new Date(seconds * 1000) : new Date();
    return when.toLocaleTimeString([], { hour: "numeric", minute: "2-digit", second: "2-digit" });
  }

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function updateEmpty() {
    const empty = root.querySelector(".empty");
    if (empty) empty.hidden = root.querySelector(".live-call") !== null;
  }

  function findCall(sid) {
    return Array.from(root.querySelectorAll(".live-call")).find((s) => s.dataset.callSid === sid) || null;
  }

  function ensureCall(sid, data) {
    let section = findCall(sid);
    if (section) return section;
    const template = document.getElementById("live-call-template");
    section = template.content.firstElementChild.cloneNode(true);
    section.dataset.callSid = sid;
    section.querySelector(".caller").textContent = (data && data.caller) || "Caller";
    section.querySelector(".customer").textContent = (data && data.customer) || "";
    section.querySelector(".detail-link").href = root.dataset.detailUrl.replace("CALL_SID", encodeURIComponent(sid));
    root.appendChild(section);
    updateEmpty();
    return section;
  }

  function addTurn(sid, data, at) {
    const list = ensureCall(sid).querySelector(".transcript");
    if (list.querySelector(`[data-index="${Number(data.index)}"]`)) return;
    const item = el("li", `turn turn-${data.role}${data.interrupted ? " interrupted" : ""}`);
    item.dataset.index = data.index;
    const meta = el("p", "meta");
    meta.append(el("span", "speaker", roleNames[data.role] || data.role), " ", el("time", "", timeLabel(at)));
    if (data.interrupted) meta.append(" ", el("span", "badge warn", "Interrupted"));
    item.append(meta);
    if (data.interrupted && data.role === "assistant") {
      const heard = (data.heard_text || "").trim();
      const planned = (data.text || "").trim();
      const kept = heard && planned.startsWith(heard) ? heard : "";
      const box = el("div", "heard-vs-planned");
      const heardLine = el("p", "heard");
      heardLine.append(el("span", "label", "Caller heard"), " " + (heard || "(nothing)"));
      const plannedLine = el("p", "planned");
      plannedLine.append(el("span", "label", "Agent had planned to say"), " " + kept);
      const rest = planned.slice(kept.length).trim();
      if (rest) plannedLine.append(" ", el("del", "unheard", rest));
      box.append(heardLine, plannedLine);
      item.append(box);
    } else {
      item.append(el("p", "said", data.text || ""));
    }
    const later = Array.from(list.children).find((li) => Number(li.dataset.index) > Number(data.index));
    list.insertBefore(item, later || null);
  }

  function addNote(sid, text, className) {
    const list = ensureCall(sid).querySelector(".transcript");
    const item = el("li", className || "note");
    item.append(el("p", "meta", timeLabel()), el("p", "said", text));
    list.append(item);
  }

  function endCall(sid) {
    const section = findCall(sid);
    if (!section) return;
    section.classList.add("ended");
    const badge = section.querySelector(".badge.live");
    if (badge) badge.textContent = "Ended";
  }

  function handOver(sid, data) {
    withAPerson.add(sid);
    const section = findCall(sid);
    if (section) {
      section.classList.remove("ended");
      const badge = section.querySelector(".badge.live");
      if (badge) badge.textContent = "In progress";
    }
    addNote(sid, data.to === "voicemail" ? "Leaving a voicemail…" : "Put through to an advisor…", "note");
  }

  function apply(event) {
    const sid = event.call_sid;
    const data = event.data || {};
    if (!sid) return;
    switch (event.kind) {
      case "started": if (!findCall(sid)) reload(); break; // the server renders the caller and customer
      case "turn": addTurn(sid, data, event.at); break;
      case "tool": addNote(sid, `Tool ${data.name}: ${data.ok ? "ok" : "failed"}, ${Math.round(data.duration_ms || 0)} ms`, "tool"); break;
      case "vendor_error": addNote(sid, `${data.vendor || "Vendor"} error (${data.stage || ""})`, "note warn"); break;
      case "transferring": addNote(sid, "Transferring to an advisor…", "note"); break;
      case "ended": if (!withAPerson.has(sid)) endCall(sid); break;
      case "handover": handOver(sid, data); break;
      case "handover_ended": withAPerson.delete(sid); endCall(sid); break;
      default: break;
    }
  }

  async function reload() {
    pending = [];
    try {
      const response = await fetch(root.dataset.fragmentUrl, { credentials: "same-origin" });
      if (response.ok) root.innerHTML = await response.text();
    } catch (error) {
      // keep what is on the page; the socket's events still apply
    } finally {
      const queued = pending;
      pending = null;
      queued.forEach(apply);
      updateEmpty();
    }
  }

  function connect() {
    const scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    const socket = new WebSocket(scheme + window.location.host + root.dataset.wsPath);
    socket.addEventListener("open", () => {
      backoff = 500;
      setStatus("Connected: transcripts update as people speak.", "connected");
      reload();
    });
    socket.addEventListener("message", (message) => {
      let event;
      try { event = JSON.parse(message.data); } catch (error) { return; }
      if (pending) pending.push(event); else apply(event);
    });
    socket.addEventListener("close", (closed) => {
      if (closed.code === 4403) {
        setStatus("You are not allowed to follow live calls. Sign in again?", "refused");
        return;
      }
      setStatus("Live updates interrupted; reconnecting…", "reconnecting");
      window.setTimeout(connect, backoff);
      backoff = Math.min(backoff * 2, 15000);
    });
  }

  connect();
})();
