/**
 * What the chapter's server HTML becomes in the browser (issue 14). The page reads without any of
 * this: every tab panel under its label, code as text, a diagram as its source. With it:
 *
 * - code blocks get a Copy button (announced "Copied");
 * - `[data-tabs]` become ARIA tabs (WAI-ARIA APG "Tabs with automatic activation"): arrow keys,
 *   Home/End, one tab stop; tabs with the same `groupId` stay in step across the page, and the
 *   choice is remembered (localStorage) for the next page that offers it;
 * - `[data-mermaid]` diagrams are drawn by mermaid, a chunk loaded only on pages that have one,
 *   in the app's light or dark theme; the source stays shown when drawing fails;
 * - pages with formulas load KaTeX's stylesheet (and fonts), others never do.
 *
 * Each function returns its cleanup; none needs anything from the page but its own markup.
 */
type Cleanup = () => void;

export function enhanceCodeBlocks(root: HTMLElement, announce: (message: string) => void): Cleanup {
  const timers: number[] = [];
  for (const block of root.querySelectorAll<HTMLElement>("[data-code-block]")) {
    if (block.querySelector(":scope > .copy-code")) continue;
    const code = block.querySelector("code");
    if (!code) continue;
    const title = block.querySelector(".code-title")?.textContent;
    // "Copy code: water.py" to a screen reader, "Copy" on screen; "Copied" for a moment after.
    const button = document.createElement("button");
    button.type = "button";
    button.className = "copy-code";
    const label = document.createElement("span");
    label.textContent = "Copy";
    const more = document.createElement("span");
    more.className = "visually-hidden";
    more.textContent = title ? ` code: ${title}` : " code";
    button.append(label, more);
    button.addEventListener("click", () => {
      const text = (code.textContent ?? "").replace(/\n$/, "");
      navigator.clipboard.writeText(text).then(
        () => {
          label.textContent = "Copied";
          announce("Copied");
          timers.push(window.setTimeout(() => (label.textContent = "Copy"), 2000));
        },
        () => announce("Could not copy: select the code and copy it instead"),
      );
    });
    block.append(button);
  }
  return () => timers.forEach((t) => window.clearTimeout(t));
}

const TAB_STORE = "aibook.tabs.";

function storedTab(group: string | undefined): string | null {
  if (!group) return null;
  try {
    return localStorage.getItem(TAB_STORE + group);
  } catch {
    return null;
  }
}

function rememberTab(group: string, value: string): void {
  try {
    localStorage.setItem(TAB_STORE + group, value);
  } catch {
    /* private mode: in step on this page only */
  }
}

interface TabSet {
  group: string | undefined;
  values: string[];
  select(value: string, focus?: boolean): void;
}

let tabIds = 0;

export function enhanceTabs(root: HTMLElement): Cleanup {
  const sets: TabSet[] = [];
  const sync = (group: string | undefined, value: string, from: TabSet) => {
    if (!group) return;
    rememberTab(group, value);
    for (const s of sets) if (s !== from && s.group === group && s.values.includes(value)) s.select(value);
  };

  for (const box of root.querySelectorAll<HTMLElement>("[data-tabs]")) {
    if (box.querySelector(":scope > [role=tablist]")) continue;
    const panels = [...box.children].filter((el): el is HTMLElement => el instanceof HTMLElement && el.classList.contains("tab-panel"));
    if (panels.length === 0) continue;
    const n = ++tabIds;
    const list = document.createElement("div");
    list.setAttribute("role", "tablist");
    list.className = "tab-list";
    const tabs = panels.map((panel, i) => {
      const tab = document.createElement("button");
      tab.type = "button";
      tab.id = `aibook-tab-${n}-${i}`;
      tab.setAttribute("role", "tab");
      tab.setAttribute("aria-controls", `aibook-tabpanel-${n}-${i}`);
      tab.textContent = panel.dataset.tabLabel ?? panel.dataset.tabValue ?? `Tab ${i + 1}`;
      panel.id = `aibook-tabpanel-${n}-${i}`;
      panel.setAttribute("role", "tabpanel");
      panel.setAttribute("aria-labelledby", tab.id);
      panel.tabIndex = 0;
      // The label heading was for reading without tabs; the tab names the panel now.
      const heading = panel.querySelector<HTMLElement>(":scope > .tab-label");
      if (heading) heading.hidden = true;
      list.append(tab);
      return tab;
    });
    box.prepend(list);
    box.classList.add("tabs-enhanced");

    const values = panels.map((p, i) => p.dataset.tabValue ?? String(i));
    const set: TabSet = {
      group: box.dataset.groupId,
      values,
      select(value, focus = false) {
        const index = Math.max(0, values.indexOf(value));
        tabs.forEach((tab, i) => {
          const on = i === index;
          tab.setAttribute("aria-selected", String(on));
          tab.tabIndex = on ? 0 : -1;
          panels[i]!.hidden = !on;
        });
        if (focus) tabs[index]!.focus();
      },
    };
    sets.push(set);
    const stored = storedTab(set.group);
    const initial = stored && values.includes(stored) ? stored : (panels.find((p) => p.dataset.tabDefault !== undefined)?.dataset.tabValue ?? values[0]!);
    set.select(initial);

    list.addEventListener("click", (e) => {
      const tab = (e.target as Element).closest<HTMLElement>("[role=tab]");
      if (!tab) return;
      const value = values[tabs.indexOf(tab as HTMLButtonElement)]!;
      set.select(value);
      sync(set.group, value, set);
    });
    list.addEventListener("keydown", (e) => {
      const current = tabs.indexOf(document.activeElement as HTMLButtonElement);
      if (current < 0) return;
      const last = tabs.length - 1;
      const next = { ArrowRight: current === last ? 0 : current + 1, ArrowLeft: current === 0 ? last : current - 1, Home: 0, End: last }[e.key];
      if (next === undefined) return;
      e.preventDefault();
      set.select(values[next]!, true);
      sync(set.group, values[next]!, set);
    });
  }
  return () => {};
}

/** A #target inside a tab not shown or a closed `<details>`: the tab is chosen, the details opened (a link must land). */
export function revealTarget(target: HTMLElement): void {
  for (let el: HTMLElement | null = target; el; el = el.parentElement) {
    if (el.getAttribute("role") === "tabpanel" && el.hidden) document.getElementById(el.getAttribute("aria-labelledby") ?? "")?.click();
    if (el instanceof HTMLDetailsElement && !el.open && !target.matches("summary")) el.open = true;
  }
}

/** KaTeX's stylesheet and fonts, for pages with formulas only. */
export function loadMathStyles(root: HTMLElement): void {
  if (root.querySelector(".katex")) void import("katex/dist/katex.min.css");
}

const isDark = () => document.documentElement.dataset.theme === "dark";
let diagramIds = 0;

/** Draw every diagram (again on a theme change); the source stays when mermaid cannot draw it. */
export function drawDiagrams(root: HTMLElement): Cleanup {
  const boxes = [...root.querySelectorAll<HTMLElement>("[data-mermaid]")];
  if (boxes.length === 0) return () => {};
  let stopped = false;
  const draw = async () => {
    const { default: mermaid } = await import("mermaid");
    // securityLevel strict: no HTML labels, no click handlers; mermaid sanitises its own SVG.
    // Mermaid's dark theme puts #ccc on #585858 behind edge labels (4.4:1): a darker ground meets 4.5:1.
    const dark = isDark();
    mermaid.initialize({ startOnLoad: false, securityLevel: "strict", suppressErrorRendering: true, theme: dark ? "dark" : "default", themeVariables: dark ? { edgeLabelBackground: "#2b2f36" } : {} });
    for (const box of boxes) {
      const source = box.querySelector(".mermaid-source")?.textContent ?? "";
      let figure = box.querySelector<HTMLElement>(":scope > .mermaid-svg");
      try {
        const { svg } = await mermaid.render(`aibook-diagram-${++diagramIds}`, source);
        if (stopped) return;
        if (!figure) {
          figure = document.createElement("div");
          figure.className = "mermaid-svg";
          figure.setAttribute("role", "img");
          figure.setAttribute("aria-label", "Diagram (its source is below)");
          box.prepend(figure);
        }
        figure.innerHTML = svg;
        // The source stays reachable, folded: for screen readers and for copying.
        const pre = box.querySelector<HTMLElement>(":scope > .mermaid-source");
        if (pre) {
          const details = document.createElement("details");
          const summary = document.createElement("summary");
          summary.textContent = "Diagram source";
          details.append(summary, pre);
          box.append(details);
        }
        box.classList.add("mermaid-drawn");
      } catch {
        // Drawing failed: the source is what the reader gets, unfolded.
        figure?.remove();
        const details = box.querySelector("details");
        if (details) details.open = true;
        box.classList.add("mermaid-failed");
      }
    }
  };
  let drawnDark = isDark();
  void draw();
  const observer = new MutationObserver(() => {
    if (isDark() === drawnDark) return;
    drawnDark = isDark();
    void draw();
  });
  observer.observe(document.documentElement, { attributes: true, attributeFilter: ["data-theme"] });
  return () => {
    stopped = true;
    observer.disconnect();
  };
}
