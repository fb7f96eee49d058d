// Kernel-free demos: each control is a range input over precomputed values; moving it shows the
// frame computed for that value (the other controls at their starting values).
document.addEventListener("DOMContentLoaded", () => {
  for (const demo of document.querySelectorAll(".tnn-demo")) {
    const image = demo.querySelector("img");
    for (const control of demo.querySelectorAll(".tnn-demo-control")) {
      const input = control.querySelector("input");
      const shown = control.querySelector(".tnn-demo-value");
      const values = JSON.parse(control.dataset.values);
      const frames = JSON.parse(control.dataset.frames);
      input.addEventListener("input", () => {
        const i = Number(input.value);
        shown.textContent = values[i];
        image.src = frames[i];
        image.alt = `${demo.dataset.alt} (${control.dataset.label} = ${values[i]})`;
      });
    }
  }
});
