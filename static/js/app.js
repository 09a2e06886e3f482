// Small progressive enhancements; every page works without them.
document.addEventListener("DOMContentLoaded", () => {
  // Bars drawn from data-percent: no style attribute, so a strict Content-Security-Policy holds.
  document.querySelectorAll("[data-percent]").forEach((bar) => {
    bar.style.width = `${Math.max(0, Math.min(100, Number(bar.dataset.percent) || 0))}%`;
  });

  // On a phone a table's rows stack (app.css): each cell gets its column's name to show.
  document.querySelectorAll(".table-wrap > table").forEach((table) => {
    const heads = table.tHead ? [...table.tHead.rows[0].cells] : [];
    if (!heads.length) return;
    const names = heads.flatMap((cell) => Array(cell.colSpan).fill(cell.textContent.trim()));
    [...table.tBodies].forEach((body) => [...body.rows].forEach((row) => {
      let column = 0;
      [...row.cells].forEach((cell) => {
        if (!cell.hasAttribute("data-label") && !cell.classList.contains("empty")) cell.dataset.label = names[column] || "";
        column += cell.colSpan;
      });
    }));
    table.classList.add("stacked");
  });

  // dd/mm/yyyy boxes: "1/3/2026" or "01032026" becomes "01/03/2026" when the box is left.
  document.querySelectorAll("input.date-input").forEach((input) => {
    input.addEventListener("blur", () => {
      const value = input.value.trim();
      const digits = value.match(/^(\d{2})(\d{2})(\d{4})$/);
      const parts = digits ? digits.slice(1) : value.split(/[/.-]/);
      if (parts.length !== 3 || !parts.every((part) => /^\d+$/.test(part)) || parts[2].length !== 4) return;
      input.value = `${parts[0].padStart(2, "0")}/${parts[1].padStart(2, "0")}/${parts[2]}`;
    });
  });

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

  // The size of an SMS as it is typed (messaging.sms.sms_size on the server): 160
  // characters a part in the 7-bit alphabet, 70 once a Vietnamese mark is in it.
  const smsSize = document.getElementById("sms-size");
  if (smsSize) {
    const form = smsSize.closest("form");
    const body = form.querySelector("textarea[name=body]");
    const plain = form.querySelector("input[name=without_marks]");
    const basic = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
      "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
    const extension = "^{}\\[~]|€\f";
    const withoutMarks = (text) =>
      text.replace(/đ/g, "d").replace(/Đ/g, "D").normalize("NFD").replace(/\p{Mn}/gu, "").normalize("NFC");
    const update = () => {
      const text = plain && plain.checked ? withoutMarks(body.value) : body.value;
      const characters = [...text];
      const sevenBit = characters.every((c) => basic.includes(c) || extension.includes(c));
      const length = sevenBit
        ? characters.reduce((n, c) => n + (extension.includes(c) ? 2 : 1), 0)
        : text.length; // UTF-16 units, as the operator counts them
      const [single, each] = sevenBit ? [160, 153] : [70, 67];
      const parts = !text ? 0 : length <= single ? 1 : Math.ceil(length / each);
      let label = smsSize.dataset.label.replace("{chars}", length).replace("{parts}", parts);
      const price = Number(smsSize.dataset.price);
      if (price && parts) label += " · " + smsSize.dataset.cost.replace("{cost}", (price * parts).toLocaleString("vi-VN"));
      smsSize.textContent = label;
    };
    body.addEventListener("input", update);
    if (plain) plain.addEventListener("change", update);
    update();
  }

  // An import's progress bar: poll its status; reload when it ends (the page then shows
  // the result). Without JavaScript the page refreshes itself instead.
  const progress = document.getElementById("import-progress");
  if (progress) {
    const bar = progress.querySelector(".progress");
    const fill = bar.querySelector("span");
    const field = (name) => progress.querySelector(`[data-field="${name}"]`);
    const template = (name) => progress.querySelector(`template[data-${name}-template]`).innerHTML;
    const poll = () => {
      fetch(progress.dataset.statusUrl, { headers: { Accept: "application/json" } })
        .then((response) => response.json())
        .then((data) => {
          if (data.status !== "queued" && data.status !== "running") {
            window.location.reload();
            return;
          }
          fill.style.width = `${data.percent}%`;
          bar.setAttribute("aria-valuenow", data.percent);
          field("percent").textContent = data.percent;
          field("rows").textContent = template("rows")
            .replace("{done}", data.rows_done.toLocaleString("vi-VN"))
            .replace("{total}", data.rows_total.toLocaleString("vi-VN"));
          if (data.seconds_left !== null) {
            field("left").textContent = template("left").replace("{seconds}", data.seconds_left);
          }
          setTimeout(poll, 1000);
        })
        .catch(() => setTimeout(poll, 3000));
    };
    setTimeout(poll, 1000);
  }
});
