"""WCAG 2.1 AA checks computed in the page itself (no axe, nothing loaded):
the contrast of every visible text and form control against the background
it is painted on, and a visible focus indicator on everything the Tab key
reaches.

Contrast (1.4.3): 4.5:1, or 3:1 for large text (24 px, or 18.66 px bold).
The text's color and the background under it are composited the way the
browser paints them: from the text's element up to the root, each
element's background is painted under what is inside it and its opacity
applied to the whole (premultiplied alpha), and what is left translucent
at the root is painted over the white canvas. Text over a background image
or gradient has no single background: it is listed as skipped, with the
element that carries the image. Text of disabled controls is exempt
(inactive components), as is text no one can see (hidden, transparent,
clipped to a pixel for screen readers).

Focus (2.4.7): each element the Tab key lands on must draw an outline or a
box-shadow while focused, different from what it draws unfocused."""

from __future__ import annotations

from typing import Any

CONTRAST = r"""
() => {
  const canvas = document.createElement("canvas");
  canvas.width = canvas.height = 1;
  const ctx = canvas.getContext("2d", { willReadFrequently: true });
  const parsed = new Map();
  // [r, g, b, a] (0..255, 0..1) of any CSS color the computed style gives.
  const rgba = (css) => {
    if (parsed.has(css)) return parsed.get(css);
    const m = /^rgba?\(\s*([\d.]+)[,\s]+([\d.]+)[,\s]+([\d.]+)(?:\s*[,/]\s*([\d.]+%?))?\s*\)$/.exec(css);
    let out;
    if (m) {
      const alpha = m[4] === undefined ? 1 : m[4].endsWith("%") ? parseFloat(m[4]) / 100 : +m[4];
      out = [+m[1], +m[2], +m[3], alpha];
    } else {
      ctx.clearRect(0, 0, 1, 1);
      ctx.fillStyle = "#000";
      ctx.fillStyle = css;
      ctx.fillRect(0, 0, 1, 1);
      const d = ctx.getImageData(0, 0, 1, 1).data;
      out = [d[0], d[1], d[2], d[3] / 255];
    }
    parsed.set(css, out);
    return out;
  };
  // Premultiplied [r, g, b, a]: `top` painted over `bottom`.
  const pre = (c) => [c[0] * c[3], c[1] * c[3], c[2] * c[3], c[3]];
  const over = (top, bottom) => top.map((v, i) => v + bottom[i] * (1 - top[3]));
  const scale = (c, o) => c.map((v) => v * o);
  const onWhite = (c) => [0, 1, 2].map((i) => c[i] + 255 * (1 - c[3]));
  const luminance = (c) => {
    const f = (v) => {
      v /= 255;
      return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
    };
    return 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2]);
  };
  const ratio = (a, b) => {
    const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
    return (hi + 0.05) / (lo + 0.05);
  };
  const hex = (c) => "#" + c.map((v) => Math.round(v).toString(16).padStart(2, "0")).join("");
  const describe = (el) => {
    const parts = [];
    for (let e = el; e && e !== document.body && parts.length < 4; e = e.parentElement) {
      const cls = typeof e.className === "string" && e.className.trim() ? "." + e.className.trim().split(/\s+/).join(".") : "";
      parts.unshift(e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") + cls);
    }
    return parts.join(" > ");
  };

  // The text color `color` of `el`'s content and the background under it,
  // as painted; or {image: element} when a background image shows through.
  const painted = (el, color) => {
    let text = pre(rgba(color));
    let back = [0, 0, 0, 0];
    for (let e = el; e; e = e.parentElement) {
      const style = getComputedStyle(e);
      if (style.backgroundImage !== "none" && back[3] < 0.999) return { image: describe(e) };
      const bg = pre(rgba(style.backgroundColor));
      text = over(text, bg);
      back = over(back, bg);
      const opacity = parseFloat(style.opacity);
      if (opacity < 1) {
        text = scale(text, opacity);
        back = scale(back, opacity);
      }
    }
    return { text: onWhite(text), back: onWhite(back) };
  };

  const seen = (el) =>
    el.checkVisibility({ opacityProperty: true, visibilityProperty: true, contentVisibilityAuto: true }) &&
    (() => {
      const box = el.getBoundingClientRect();
      return box.width > 1 && box.height > 1;
    })();
  const disabled = (el) => !!el.closest(":disabled, [aria-disabled='true']");
  const large = (style) => {
    const size = parseFloat(style.fontSize);
    const bold = parseInt(style.fontWeight, 10) >= 700;
    return size >= 24 || (bold && size >= 18.66);
  };

  const failures = [];
  const skipped = [];
  let checked = 0;
  const check = (el, sample, color, style) => {
    const found = painted(el, color);
    if (found.image) {
      skipped.push({ text: sample, where: describe(el), image: found.image });
      return;
    }
    checked += 1;
    const need = large(style) ? 3 : 4.5;
    const got = ratio(found.text, found.back);
    if (got + 1e-6 < need) {
      failures.push({
        text: sample,
        where: describe(el),
        color: hex(found.text),
        background: hex(found.back),
        ratio: Math.round(got * 100) / 100,
        need,
        size: style.fontSize,
        weight: style.fontWeight,
      });
    }
  };

  const skipTags = new Set(["SCRIPT", "STYLE", "TEMPLATE", "NOSCRIPT", "OPTION", "OPTGROUP", "SELECT", "TEXTAREA", "svg"]);
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const parents = new Map();
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const text = node.textContent.replace(/\s+/g, " ").trim();
    if (!text) continue;
    const el = node.parentElement;
    if (!el || skipTags.has(el.tagName) || el.closest("svg, select, textarea")) continue;
    const range = document.createRange();
    range.selectNodeContents(node);
    const box = range.getBoundingClientRect();
    if (box.width < 1 || box.height < 1) continue;
    if (!parents.has(el)) parents.set(el, []);
    parents.get(el).push(text);
  }
  for (const [el, texts] of parents) {
    if (!seen(el) || disabled(el)) continue;
    const style = getComputedStyle(el);
    check(el, texts.join(" ").slice(0, 60), style.color, style);
  }
  // Form controls: what they show (the value, or the placeholder when empty).
  for (const el of document.querySelectorAll("input, textarea, select")) {
    if (["checkbox", "radio", "hidden", "range", "color", "file", "image"].includes(el.type)) continue;
    if (!seen(el) || disabled(el)) continue;
    const style = getComputedStyle(el);
    const value = el.tagName === "SELECT" ? el.selectedOptions[0]?.textContent || "" : el.value;
    if (value.trim() || ["submit", "button", "reset"].includes(el.type)) {
      check(el, `[${el.tagName.toLowerCase()}] ${value.slice(0, 50)}`, style.color, style);
    } else if (el.placeholder) {
      const placeholder = getComputedStyle(el, "::placeholder");
      check(el, `[placeholder] ${el.placeholder.slice(0, 50)}`, placeholder.color, placeholder);
    }
  }
  // One line per distinct element kind and pair of colors.
  const unique = new Map();
  for (const f of failures) {
    const key = `${f.where}|${f.color}|${f.background}`;
    if (!unique.has(key)) unique.set(key, f);
  }
  return { checked, failures: [...unique.values()], skipped };
}
"""

# Marks everything focusable with its unfocused look, before the first Tab.
FOCUS_BASELINE = r"""
() => {
  document.activeElement && document.activeElement.blur && document.activeElement.blur();
  const looks = new Map();
  const sig = (el) => {
    const s = getComputedStyle(el);
    return [s.outlineStyle, s.outlineWidth, s.outlineColor, s.outlineOffset, s.boxShadow].join("|");
  };
  for (const el of document.querySelectorAll("a[href], button, input, select, textarea, summary, [tabindex]")) {
    looks.set(el, sig(el));
  }
  window.__unfocusedLooks = looks;
  window.__focusSig = sig;
  return looks.size;
}
"""

# What the element the last Tab landed on draws, against its unfocused look.
FOCUSED = r"""
() => {
  const el = document.activeElement;
  if (!el || el === document.body || el === document.documentElement) return null;
  if (!el.__auditId) el.__auditId = (window.__auditIds = (window.__auditIds || 0) + 1);
  const s = getComputedStyle(el);
  const now = window.__focusSig(el);
  const before = window.__unfocusedLooks.get(el);
  const outline =
    s.outlineStyle !== "none" && parseFloat(s.outlineWidth) > 0 && !/rgba\([^)]*,\s*0\)$|transparent/.test(s.outlineColor);
  const shadow = s.boxShadow !== "none";
  const cls = typeof el.className === "string" && el.className.trim() ? "." + el.className.trim().split(/\s+/).join(".") : "";
  const name = (el.getAttribute("aria-label") || el.textContent || el.value || el.name || "").replace(/\s+/g, " ").trim().slice(0, 40);
  return {
    id: el.__auditId,
    what: `${el.tagName.toLowerCase()}${cls} “${name}”`,
    focusVisible: el.matches(":focus-visible"),
    drawn: outline || shadow,
    changed: before === undefined ? null : before !== now,
    look: now,
  };
}
"""


async def contrast(page: Any) -> dict[str, Any]:
    return await page.evaluate(CONTRAST)


async def focus_walk(page: Any, most: int = 150) -> dict[str, Any]:
    """Tabs through the page from its start (at most `most` stops, or once
    round); every stop must draw a focus indicator that its unfocused look
    does not. Answers the stops' count and the failures."""
    await page.mouse.move(0, 0)
    await page.evaluate(FOCUS_BASELINE)
    failures: list[str] = []
    seen: set[int] = set()
    last = None
    stops = 0
    for _ in range(most):
        await page.keyboard.press("Tab")
        found = await page.evaluate(FOCUSED)
        if found is None or found["id"] == last:
            continue  # outside the page, or the next part of a date input
        if found["id"] in seen:
            break
        last = found["id"]
        seen.add(found["id"])
        stops += 1
        if not found["drawn"] or found["changed"] is False:
            failures.append(f"{found['what']}: {found['look']}")
    return {"stops": stops, "failures": failures}
