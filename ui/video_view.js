// The video view of the search page (a Streamlit components.v2 module; see ui/view.py for the
// data it is given). A player streamed from the API by HTTP range, with the video's subtitles as a
// track (and a button to hide them); a timeline with the video's chapters (their starts ticked
// across every lane) and one lane per modality marking where the query matches; beside the player,
// tabs of the chapters, the summary and the transcript and screen text, kept in step with it (the
// current chapter and line highlighted); the video's shots as thumbnails. Every text from the index
// is put in the page with textContent, never parsed as HTML.
//
// Keys (outside text fields): j / l seek -10 / +10 s, ArrowLeft / ArrowRight -5 / +5 s,
// k or space play / pause, c subtitles on / off.

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

// A language's name in English ("de" -> "German"), the code itself where the browser knows none.
export function languageName(code) {
  try {
    return new Intl.DisplayNames(["en"], { type: "language" }).of(code) || code;
  } catch (_) {
    return code;
  }
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
  const bar = el("div", "vs-bar");
  const captions = el("button", "vs-captions", "Subtitles");
  captions.type = "button";
  captions.hidden = true;
  captions.title = "Subtitles on / off (c)";
  captions.addEventListener("click", () => subtitles(state, !state.captionsOn));
  const chapterNow = el("span", "vs-chapter-now");
  bar.append(captions, chapterNow);
  if (data.subtitles && data.has_video) {
    const track = el("track");
    track.kind = "subtitles";
    track.src = data.subtitles;
    track.default = true;
    if (data.language) {
      track.srclang = data.language;
      track.label = languageName(data.language);
    } else {
      track.label = "Subtitles";
    }
    player.append(track);
    captions.hidden = false;
  }
  const problem = el("div", "vs-problem");
  problem.hidden = true;
  stage.append(player, bar, problem);

  const side = el("div", "vs-side");
  const tabs = el("div", "vs-tabs");
  const list = el("div", "vs-transcript");
  side.append(tabs, list);
  top.append(stage, side);

  const timeline = el("div", "vs-timeline");
  const strip = el("div", "vs-shots");
  view.append(top, timeline, strip);
  root.append(view);

  const state = {
    root, view, player, problem, tabs, list, timeline, strip, data, captions, chapterNow,
    rows: [], within: false, shots: [], chapterMarks: [], filter: "all", captionsOn: true,
  };
  const before = window[SLOT] && window[SLOT].state;
  subtitles(state, before ? before.captionsOn : true);
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

// Subtitles shown (`on`) or hidden: the track's mode and the button that says so.
function subtitles(state, on) {
  state.captionsOn = on;
  for (const track of state.player.textTracks || []) track.mode = on ? "showing" : "hidden";
  state.captions.classList.toggle("vs-on", on);
  state.captions.setAttribute("aria-pressed", String(on));
  state.captions.textContent = on ? "Subtitles on" : "Subtitles off";
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
  state.chapterMarks = [];
  if (data.chapters.length) {
    const row = el("div", "vs-lane vs-chapters");
    row.dataset.modality = "chapters";
    const track = el("div", "vs-track");
    data.chapters.forEach((chapter, number) => {
      const bar = el("button", number % 2 ? "vs-chapter vs-odd" : "vs-chapter", chapter.title);
      bar.type = "button";
      bar.style.left = `${(100 * chapter.start) / duration}%`;
      bar.style.width = `${(100 * Math.max(0, chapter.end - chapter.start)) / duration}%`;
      bar.dataset.start = String(chapter.start);
      bar.title = `${number + 1}. ${chapter.title} · ${clock(chapter.start)}–${clock(chapter.end)}`;
      bar.addEventListener("click", () => seek(state, chapter.start));
      track.append(bar);
      state.chapterMarks.push({ node: bar, start: chapter.start, end: chapter.end, title: chapter.title, number });
    });
    track.append(el("div", "vs-playhead"));
    row.append(el("span", "vs-lane-label", `chapters (${data.chapters.length})`), track);
    timeline.append(row);
  }
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
    for (const chapter of data.chapters.slice(1)) {
      const tick = el("div", "vs-tick");
      tick.style.left = `${(100 * chapter.start) / duration}%`;
      track.append(tick);
    }
    track.append(el("div", "vs-playhead"));
    row.append(label, track);
    timeline.append(row);
  }
}

// A row of the side panel: its time, a label and a text, seeking to `start` when clicked.
function row(state, className, start, label, text) {
  const line = el("button", `vs-line ${className}`);
  line.type = "button";
  line.dataset.start = String(start);
  line.append(el("span", "vs-time", clock(start)), el("span", "vs-kind", label), text);
  line.addEventListener("click", () => seek(state, start));
  return line;
}

function chapterList(state) {
  const { list, data } = state;
  data.chapters.forEach((chapter, number) => {
    const line = row(state, "vs-chapter-line", chapter.start, String(number + 1), el("span", "vs-text", chapter.title));
    line.title = `${clock(chapter.start)}–${clock(chapter.end)}`;
    list.append(line);
    state.rows.push({ row: line, start: chapter.start, end: chapter.end });
  });
}

function summaryList(state) {
  const { list, data } = state;
  if (data.summary.languages.length) {
    const names = data.summary.languages.map(languageName).join(", ");
    list.append(el("p", "vs-languages", `${data.summary.languages.length === 1 ? "Language" : "Languages"}: ${names}`));
  }
  if (!data.summary.items.length) list.append(el("p", "vs-empty", "Nothing to summarise in this video."));
  for (const item of data.summary.items) {
    const line = row(state, "vs-summary-item", item.start, item.label, el("span", "vs-text", item.text));
    line.dataset.kind = item.kind;
    list.append(line);
    state.rows.push({ row: line, start: item.start, end: item.end });
  }
}

function transcript(state) {
  const { tabs, list, data } = state;
  tabs.replaceChildren();
  list.replaceChildren();
  const kinds = [
    ...(data.chapters.length ? [["chapters", "Chapters"]] : []),
    ...(data.summary ? [["summary", "Summary"]] : []),
    ["all", "All"],
    ...data.panels.map((p) => [p.modality, p.label]),
  ];
  if (!kinds.some(([kind]) => kind === state.filter)) state.filter = "all";
  for (const [kind, label] of kinds) {
    const tab = el("button", kind === state.filter ? "vs-tab vs-on" : "vs-tab", label);
    tab.type = "button";
    tab.dataset.tab = kind;
    tab.addEventListener("click", () => {
      state.filter = kind;
      transcript(state);
      follow(state);
    });
    tabs.append(tab);
  }
  state.rows = [];
  state.within = state.filter === "summary";
  if (state.filter === "chapters") return chapterList(state);
  if (state.filter === "summary") return summaryList(state);
  const shown = data.transcript.filter((line) => state.filter === "all" || line.modality === state.filter);
  if (!shown.length) list.append(el("p", "vs-empty", data.transcript.length ? "Nothing of this kind." : "Nothing said or shown as text in this video."));
  for (const line of shown) {
    const text = el("span", "vs-text");
    text.append(highlighted(line.text, data.words));
    const node = row(state, "", line.start, line.kind, text);
    node.dataset.modality = line.modality;
    list.append(node);
    state.rows.push({ row: node, start: line.start, end: line.end });
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

// The current chapter, line (the last one started; for the summary, the item playing) and shot
// highlighted, the line scrolled into the panel's view, the playhead moved.
function follow(state) {
  const now = state.player.currentTime;
  const share = `${(100 * now) / (state.data.duration || 1)}%`;
  for (const head of state.timeline.querySelectorAll(".vs-playhead")) head.style.left = share;
  let chapter = null;
  for (const mark of state.chapterMarks) if (mark.start <= now + 0.05) chapter = mark;
  for (const mark of state.chapterMarks) mark.node.classList.toggle("vs-now", mark === chapter);
  state.chapterNow.textContent = chapter ? `Chapter ${chapter.number + 1} of ${state.chapterMarks.length}: ${chapter.title}` : "";
  let current = null;
  for (const line of state.rows) if (line.start <= now + 0.05 && (!state.within || now < line.end)) current = line;
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
    } else if (event.key === "c" && !state.captions.hidden) {
      subtitles(state, !state.captionsOn);
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
  const shown = JSON.stringify([data.lanes, data.chapters, data.summary, data.transcript, data.panels, data.words, data.shots]);
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
