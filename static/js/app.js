// Small progressive enhancements; every page works without them.
document.addEventListener("DOMContentLoaded", () => {
  // Ask before a bulk action: <button data-confirm="...">.
  document.querySelectorAll("[data-confirm]").forEach((element) => {
    element.addEventListener("click", (event) => {
      if (!window.confirm(element.dataset.confirm)) event.preventDefault();
    });
  });

  // A rule group's live count while its conditions are edited.
  const rules = document.getElementById("group-rules");
  const count = document.getElementById("group-count");
  if (rules && count) {
    let timer = null;
    let latest = 0;
    const refresh = () => {
      const params = new URLSearchParams(new FormData(rules));
      params.delete("csrfmiddlewaretoken");
      const asked = ++latest;
      fetch(`${rules.dataset.countUrl}?${params}`, { headers: { Accept: "application/json" } })
        .then((response) => response.json())
        .then((data) => {
          if (asked !== latest) return; // an older answer arriving late
          count.textContent = data.count === null ? data.error : data.label;
        })
        .catch(() => {});
    };
    rules.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(refresh, 250);
    });
    rules.addEventListener("change", refresh);
  }
});
