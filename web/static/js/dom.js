// Building DOM nodes without a framework: h(tag, attributes, ...children).

export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "class") element.className = value;
    else if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
    else if (name === "dataset") Object.assign(element.dataset, value);
    else element.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

let fields = 0;

/** A labelled control: <div><label for=…>label</label>control</div>. */
export function field(label, control, className = "filter-field") {
  if (!control.id) control.id = `field-${++fields}`;
  return h("div", { class: className }, h("label", { for: control.id }, label), control);
}
