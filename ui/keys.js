// Keys of the search page (a Streamlit components.v2 module with no content of its own, see
// ui/app.py): "/" focuses the search box; ArrowDown / ArrowUp select the next / previous result
// (ArrowDown from the search box selects the first); Enter opens the selected one; Escape closes
// the video view. Results are the page's containers keyed `result-N` (class st-key-result-N),
// each with an Open button keyed `open-N`. The selection is drawn by a style rule, so it
// survives the page redrawing its elements. The page draws this last, so `data.results` (which
// names the results shown) reaching the document's `data-vidsearch-results` attribute says the
// results above are drawn (what the browser test and benchmarks/bench_page.py wait for).

const SLOT = "__vidsearchKeys";

function typing(target) {
  const tag = (target && target.tagName) || "";
  return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || (target && target.isContentEditable);
}

function results() {
  return [...document.querySelectorAll('[class*="st-key-result-"]')].filter((node) =>
    /(^|\s)st-key-result-\d+(\s|$)/.test(node.className),
  );
}

function draw(keys) {
  let style = document.getElementById("vidsearch-keys");
  if (!style) {
    style = document.createElement("style");
    style.id = "vidsearch-keys";
    document.head.append(style);
  }
  style.textContent =
    keys.selected < 0
      ? ""
      : `.st-key-result-${keys.selected} { outline: 3px solid var(--st-primary-color, #ff4b4b); outline-offset: 2px; border-radius: 0.5rem; }`;
}

function select(keys, index) {
  const found = results();
  if (!found.length) return;
  keys.selected = Math.min(Math.max(index, 0), found.length - 1);
  draw(keys);
  const node = document.querySelector(`.st-key-result-${keys.selected}`);
  if (node) node.scrollIntoView({ block: "nearest", behavior: "smooth" });
}

function click(selector) {
  const button = document.querySelector(`${selector} button`);
  if (button) button.click();
  return Boolean(button);
}

export default function ({ data }) {
  const previous = window[SLOT];
  if (previous) document.removeEventListener("keydown", previous.handler, true);
  const keys = { selected: previous && previous.results === data.results ? previous.selected : -1, results: data.results };
  draw(keys);
  document.documentElement.dataset.vidsearchResults = data.results;
  const handler = (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    const box = document.querySelector('input[aria-label="Search"]');
    if (event.target === box && event.key === "ArrowDown") {
      box.blur();
      select(keys, 0);
      event.preventDefault();
      return;
    }
    if (typing(event.target)) return;
    if (event.key === "/" && box) {
      box.focus();
      box.select();
    } else if (event.key === "ArrowDown") {
      select(keys, keys.selected + 1);
    } else if (event.key === "ArrowUp") {
      select(keys, keys.selected - 1);
    } else if (event.key === "Enter" && keys.selected >= 0 && event.target.tagName !== "BUTTON") {
      if (!click(`.st-key-open-${keys.selected}`)) return;
    } else if (event.key === "Escape") {
      if (!click(".st-key-close-view")) return;
    } else {
      return;
    }
    event.preventDefault();
    event.stopPropagation();
  };
  document.addEventListener("keydown", handler, true);
  window[SLOT] = Object.assign(keys, { handler });
}
