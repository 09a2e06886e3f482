// The campaign form: the parts that apply to the choices made, the audience's live count
// and the SMS's parts and cost as it is typed. The form works without it.
document.addEventListener("DOMContentLoaded", () => {
  const form = document.getElementById("campaign-form");
  if (!form) return;

  const value = (name) => {
    const fields = [...form.elements].filter((field) => field.name === name);
    if (!fields.length) return "";
    if (fields[0].type === "radio") return (fields.find((field) => field.checked) || {}).value || "";
    if (fields[0].type === "checkbox") return fields[0].checked ? "on" : "";
    return fields[0].value;
  };
  const matches = (rule) => {
    const [name, wanted] = rule.split("=");
    return value(name) === wanted;
  };
  const toggle = () => {
    form.querySelectorAll("[data-show-when]").forEach((part) => { part.hidden = !matches(part.dataset.showWhen); });
    form.querySelectorAll("[data-hide-when]").forEach((part) => { part.hidden = matches(part.dataset.hideWhen); });
  };

  const fetchInto = (url, names, apply) => {
    let latest = 0;
    return () => {
      const params = new URLSearchParams();
      names.forEach((name) => {
        [...form.elements].filter((field) => field.name === name).forEach((field) => {
          if ((field.type === "radio" || field.type === "checkbox") && !field.checked) return;
          params.append(name, field.value);
        });
      });
      const asked = ++latest;
      fetch(`${url}?${params}`, { headers: { Accept: "application/json" } })
        .then((response) => response.json())
        .then((data) => { if (asked === latest) apply(data); })
        .catch(() => {});
    };
  };

  const count = document.getElementById("audience-count");
  const refreshCount = count ? fetchInto(form.dataset.countUrl, ["audience", "tier_ids", "group_ids"], (data) => {
    count.textContent = data.label;
  }) : () => {};
  const estimate = document.getElementById("sms-estimate");
  const note = document.getElementById("sms-note");
  const refreshSms = fetchInto(form.dataset.smsUrl, ["sms_text", "sms_plain", "kind", "offered"], (data) => {
    estimate.textContent = data.label;
    note.textContent = data.note;
  });

  let timer = null;
  form.addEventListener("input", (event) => {
    if (event.target.name === "sms_text") {
      clearTimeout(timer);
      timer = setTimeout(refreshSms, 200);
    }
  });
  form.addEventListener("change", (event) => {
    toggle();
    if (["audience", "tier_ids", "group_ids"].includes(event.target.name)) refreshCount();
    if (["sms_plain", "kind", "offered", "sms_text"].includes(event.target.name)) refreshSms();
  });
  toggle();
  refreshCount();
  refreshSms();
});
