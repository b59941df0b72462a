// The video view of the search page (a Streamlit components.v2 module; see ui/view.py for the
// data it is given). A player streamed from the API by HTTP range, a timeline with one lane per
// modality marking where the query matches, the video's shots as thumbnails, and its transcript
// and screen text beside the player, kept in step with it. Every text from the index is put in
// the page with textContent, never parsed as HTML.
//
// Keys (outside text fields): j / l seek -10 / +10 s, ArrowLeft / ArrowRight -5 / +5 s,
// k or space play / pause.

const SLOT = "__vidsearchView";
const WORD = /[\p{L}\p{N}]+/gu;

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

export function clock(seconds) {
  const whole = Math.max(0, Math.floor(seconds));
  const h = Math.floor(whole / 3600), m = Math.floor((whole % 3600) / 60), s = whole % 60;
  const pad = (n) => String(n).padStart(2, "0");
  return h ? `${h}:${pad(m)}:${pad(s)}` : `${pad(m)}:${pad(s)}`;
}

// `text` as nodes, the stretches that are one of `words` (case-insensitive, a word's start,
// so "pilot" marks "pilots") wrapped in <mark>.
function highlighted(text, words) {
  const out = document.createDocumentFragment();
  if (!words.length) {
    out.append(text);
    return out;
  }
  const wanted = words.map((w) => w.toLocaleLowerCase());
  let at = 0;
  for (const found of text.matchAll(WORD)) {
    const token = found[0].toLocaleLowerCase();
    const hit = wanted.find((w) => token.startsWith(w));
    if (!hit) continue;
    out.append(text.slice(at, found.index));
    out.append(el("mark", "", found[0]));
    at = found.index + found[0].length;
  }
  out.append(text.slice(at));
  return out;
}

// A new view in `host` (the component's element; what Streamlit put there, its styles, stays).
function build(host, data) {
  for (const old of host.querySelectorAll(".vs-view")) old.remove();
  const root = host;
  const view = el("div", "vs-view");
  view.tabIndex = -1;
  const top = el("div", "vs-top");
  const stage = el("div", "vs-stage");
  const player = el(data.has_video ? "video" : "audio", "vs-player");
  player.controls = true;
  player.preload = "metadata";
  player.src = `${data.stream}#t=${data.seek.time.toFixed(2)}`;
  const problem = el("div", "vs-problem");
  problem.hidden = true;
  stage.append(player, problem);

  const side = el("div", "vs-side");
  const tabs = el("div", "vs-tabs");
  const list = el("div", "vs-transcript");
  side.append(tabs, list);
  top.append(stage, side);

  const timeline = el("div", "vs-timeline");
  const strip = el("div", "vs-shots");
  view.append(top, timeline, strip);
  root.append(view);

  const state = { root, view, player, problem, tabs, list, timeline, strip, data, rows: [], shots: [], filter: "all" };
  player.addEventListener("timeupdate", () => follow(state));
  player.addEventListener("seeked", () => follow(state));
  player.addEventListener("error", () => explain(state));
  player.addEventListener("loadedmetadata", () => {
    if (Math.abs(player.currentTime - state.data.seek.time) > 0.5) player.currentTime = state.data.seek.time;
    player.play().catch(() => {});
  });
  return state;
}

async function explain(state) {
  const { problem, data } = state;
  let reason = "the video cannot be played here";
  try {
    const answer = await fetch(data.stream, { headers: { Range: "bytes=0-0" } });
    const page = (answer.headers.get("content-type") || "").startsWith("text/html");
    const body = answer.ok || page ? null : await answer.json().catch(() => null);
    if (page || (answer.status === 404 && !body)) {
      reason = "this player needs the page served by `vidsearch ui` (its API at /api streams the video)";
    } else if (body && body.error) {
      reason = body.error;
    }
  } catch (_) {
    reason = "the server cannot be reached";
  }
  problem.textContent = `Cannot play ${data.title}: ${reason}.`;
  problem.hidden = false;
}

function seek(state, time) {
  const { player, data } = state;
  player.currentTime = Math.min(Math.max(time, 0), data.duration || time);
  follow(state);
}

function lanes(state) {
  const { timeline, data } = state;
  timeline.replaceChildren();
  const duration = data.duration || 1;
  const head = el("div", "vs-ruler");
  head.append(el("span", "vs-lane-label", ""), el("span", "vs-scale", `00:00 – ${clock(duration)}`));
  timeline.append(head);
  for (const lane of data.lanes) {
    const row = el("div", "vs-lane");
    row.dataset.modality = lane.modality;
    const label = el("span", "vs-lane-label", lane.label);
    const track = el("div", "vs-track");
    track.title = lane.marks.length ? `${lane.label}: ${lane.marks.length} match${lane.marks.length === 1 ? "" : "es"}` : `${lane.label}: no match`;
    track.addEventListener("click", (event) => {
      const box = track.getBoundingClientRect();
      seek(state, ((event.clientX - box.left) / box.width) * duration);
    });
    for (const mark of lane.marks) {
      const bar = el("button", "vs-mark");
      bar.type = "button";
      bar.style.left = `${(100 * mark.start) / duration}%`;
      bar.style.width = `max(4px, ${(100 * Math.max(0, mark.end - mark.start)) / duration}%)`;
      bar.style.opacity = String(0.35 + 0.65 * Math.min(1, Math.max(0, mark.score)));
      bar.dataset.start = String(mark.start);
      bar.title = `${clock(mark.start)}–${clock(mark.end)} · ${mark.score.toFixed(2)}${mark.text ? ` · ${mark.text}` : ""}`;
      bar.addEventListener("click", (event) => {
        event.stopPropagation();
        seek(state, mark.start);
      });
      track.append(bar);
    }
    track.append(el("div", "vs-playhead"));
    row.append(label, track);
    timeline.append(row);
  }
}

function transcript(state) {
  const { tabs, list, data } = state;
  tabs.replaceChildren();
  list.replaceChildren();
  const kinds = [["all", "All"], ...data.panels.map((p) => [p.modality, p.label])];
  for (const [kind, label] of kinds) {
    const tab = el("button", kind === state.filter ? "vs-tab vs-on" : "vs-tab", label);
    tab.type = "button";
    tab.addEventListener("click", () => {
      state.filter = kind;
      transcript(state);
    });
    tabs.append(tab);
  }
  state.rows = [];
  const shown = data.transcript.filter((line) => state.filter === "all" || line.modality === state.filter);
  if (!shown.length) list.append(el("p", "vs-empty", data.transcript.length ? "Nothing of this kind." : "Nothing said or shown as text in this video."));
  for (const line of shown) {
    const row = el("button", "vs-line");
    row.type = "button";
    row.dataset.modality = line.modality;
    row.dataset.start = String(line.start);
    row.append(el("span", "vs-time", clock(line.start)), el("span", "vs-kind", line.kind));
    const text = el("span", "vs-text");
    text.append(highlighted(line.text, data.words));
    row.append(text);
    row.addEventListener("click", () => seek(state, line.start));
    list.append(row);
    state.rows.push({ row, start: line.start, end: line.end });
  }
}

function shots(state) {
  const { strip, data } = state;
  strip.replaceChildren();
  strip.hidden = !data.shots.length;
  state.shots = [];
  for (const shot of data.shots) {
    const tile = el("button", "vs-shot");
    tile.type = "button";
    tile.dataset.start = String(shot.start);
    const picture = el("img");
    picture.loading = "lazy";
    picture.alt = `shot at ${clock(shot.start)}`;
    picture.src = shot.thumbnail;
    tile.append(picture, el("span", "vs-time", clock(shot.start)));
    tile.addEventListener("click", () => seek(state, shot.start));
    strip.append(tile);
    state.shots.push({ tile, start: shot.start, end: shot.end });
  }
}

// The current sentence and shot highlighted (the sentence scrolled into the panel's view), the
// playhead moved.
function follow(state) {
  const now = state.player.currentTime;
  const share = `${(100 * now) / (state.data.duration || 1)}%`;
  for (const head of state.timeline.querySelectorAll(".vs-playhead")) head.style.left = share;
  let current = null;
  for (const line of state.rows) if (line.start <= now + 0.05) current = line;
  for (const line of state.rows) {
    const on = line === current;
    if (on && !line.row.classList.contains("vs-now")) {
      const box = state.list;
      const top = line.row.offsetTop - box.offsetTop;
      if (top < box.scrollTop || top > box.scrollTop + box.clientHeight - line.row.offsetHeight) {
        box.scrollTop = Math.max(0, top - box.clientHeight / 3);
      }
    }
    line.row.classList.toggle("vs-now", on);
  }
  for (const shot of state.shots) shot.tile.classList.toggle("vs-now", shot.start <= now && now < shot.end);
}

function typing(target) {
  const tag = (target && target.tagName) || "";
  return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || (target && target.isContentEditable);
}

function keys(state) {
  const previous = window[SLOT];
  if (previous && previous.handler) document.removeEventListener("keydown", previous.handler);
  const handler = (event) => {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
    const { player } = state;
    if (!player.isConnected) return;
    const step = { j: -10, l: 10, ArrowLeft: -5, ArrowRight: 5 }[event.key];
    if (step !== undefined) {
      seek(state, player.currentTime + step);
    } else if (event.key === "k" || event.key === " ") {
      if (player.paused) player.play().catch(() => {});
      else player.pause();
    } else {
      return;
    }
    event.preventDefault();
  };
  document.addEventListener("keydown", handler);
  window[SLOT] = { handler, state };
}

export default function ({ data, parentElement }) {
  const slot = window[SLOT];
  let state = slot && slot.state && slot.state.root === parentElement && slot.state.data.key === data.key && slot.state.player.isConnected ? slot.state : null;
  const opened = !state || state.data.seek.n !== data.seek.n;
  if (!state) state = build(parentElement, data);
  state.data = data;
  const shown = JSON.stringify([data.lanes, data.transcript, data.panels, data.words, data.shots]);
  if (state.shown !== shown) {
    state.shown = shown;
    lanes(state);
    transcript(state);
    shots(state);
  }
  keys(state);
  if (opened) {
    if (state.player.readyState >= 1) {
      seek(state, data.seek.time);
      state.player.play().catch(() => {});
    }
    state.view.scrollIntoView({ block: "nearest" });
  }
  follow(state);
  return () => {
    const current = window[SLOT];
    if (current && current.state === state && !parentElement.isConnected) {
      document.removeEventListener("keydown", current.handler);
      delete window[SLOT];
    }
  };
}
