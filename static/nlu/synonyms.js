// The slot form's values and synonyms as rows of tags: a value per row, its synonyms as tags (Enter or a comma adds
// one, × removes it, clicking a tag's dialect cycles 普通话 → 四川话 → 粤语). The rows are written back into the form's
// textarea in the format the server reads (`离心泵: 离心式水泵, 离心嘅泵[粤语]`), which stays the only thing posted.
(function () {
  "use strict";
  var DIALECTS = ["", "四川话", "粤语"];

  function parse(text) {
    return text.split("\n").map(function (line) {
      var at = line.replace("：", ":").indexOf(":");
      var value = (at < 0 ? line : line.slice(0, at)).trim();
      var words = at < 0 ? [] : line.replace("：", ":").slice(at + 1).replace(/，/g, ",").split(",");
      return {value: value, synonyms: words.map(function (w) {
        var m = /^(.*?)\s*[[【［]([^\]】］]{1,10})[\]】］]$/.exec(w.trim());
        return m ? {text: m[1].trim(), dialect: m[2].trim()} : {text: w.trim(), dialect: ""};
      }).filter(function (s) { return s.text; })};
    }).filter(function (row) { return row.value; });
  }

  function format(rows) {
    return rows.filter(function (row) { return row.value.trim(); }).map(function (row) {
      var words = row.synonyms.map(function (s) { return s.dialect ? s.text + "[" + s.dialect + "]" : s.text; });
      return words.length ? row.value.trim() + ": " + words.join(", ") : row.value.trim();
    }).join("\n");
  }

  function editor(textarea) {
    var T = document.getElementById("synonym-editor-text").dataset;
    var rows = parse(textarea.value);
    var box = document.createElement("div");
    box.className = "synonym-editor";
    box.dataset.testid = "synonym-editor";
    textarea.hidden = true;
    textarea.after(box);

    function save() { textarea.value = format(rows); }

    function tag(row, synonym) {
      var el = document.createElement("span");
      el.className = "badge rounded-pill text-bg-light border me-1 mb-1 synonym-tag";
      el.dataset.testid = "synonym-tag";
      var text = document.createElement("span");
      text.textContent = synonym.text;
      var dialect = document.createElement("button");
      dialect.type = "button";
      dialect.className = "btn btn-link btn-sm p-0 ms-1 synonym-dialect";
      dialect.dataset.testid = "synonym-dialect";
      dialect.title = T.dialect;
      dialect.textContent = synonym.dialect || T.mandarin;
      dialect.addEventListener("click", function () {
        synonym.dialect = DIALECTS[(DIALECTS.indexOf(synonym.dialect) + 1) % DIALECTS.length];
        save(); draw();
      });
      var remove = document.createElement("button");
      remove.type = "button";
      remove.className = "btn-close ms-1";
      remove.style.fontSize = ".5rem";
      remove.setAttribute("aria-label", T.remove + " " + synonym.text);
      remove.addEventListener("click", function () {
        row.synonyms.splice(row.synonyms.indexOf(synonym), 1);
        save(); draw();
      });
      el.append(text, dialect, remove);
      return el;
    }

    function line(row) {
      var el = document.createElement("div");
      el.className = "d-flex flex-wrap align-items-center gap-1 border rounded p-1 mb-1";
      el.dataset.testid = "synonym-row";
      var value = document.createElement("input");
      value.className = "form-control form-control-sm fw-semibold";
      value.style.width = "8rem";
      value.value = row.value;
      value.placeholder = T.value;
      value.setAttribute("aria-label", T.value);
      value.dataset.testid = "synonym-value";
      value.addEventListener("input", function () { row.value = value.value.replace(/[:：\n]/g, ""); save(); });
      el.append(value);
      row.synonyms.forEach(function (s) { el.append(tag(row, s)); });
      var add = document.createElement("input");
      add.className = "form-control form-control-sm border-0 flex-grow-1";
      add.style.minWidth = "10rem";
      add.style.width = "auto";
      add.placeholder = T.add;
      add.setAttribute("aria-label", T.add);
      add.dataset.testid = "synonym-add";
      function commit() {
        add.value.split(/[,，]/).map(function (w) { return w.trim(); }).forEach(function (w) {
          if (w && !row.synonyms.some(function (s) { return s.text === w; })) row.synonyms.push({text: w, dialect: ""});
        });
        add.value = "";
        save(); draw();
        box.querySelectorAll("[data-testid=synonym-add]")[rows.indexOf(row)].focus();
      }
      add.addEventListener("keydown", function (event) {
        if (event.key === "Enter" || event.key === "," || event.key === "，") { event.preventDefault(); commit(); }
      });
      add.addEventListener("blur", function () { if (add.value.trim()) commit(); });
      var drop = document.createElement("button");
      drop.type = "button";
      drop.className = "btn btn-sm btn-link text-danger p-0 ms-auto";
      drop.innerHTML = '<i class="bi bi-trash"></i>';
      drop.setAttribute("aria-label", T.removeValue);
      drop.addEventListener("click", function () { rows.splice(rows.indexOf(row), 1); save(); draw(); });
      el.append(add, drop);
      return el;
    }

    function draw() {
      box.textContent = "";
      rows.forEach(function (row) { box.append(line(row)); });
      var more = document.createElement("button");
      more.type = "button";
      more.className = "btn btn-sm btn-outline-secondary";
      more.dataset.testid = "synonym-new-value";
      more.innerHTML = '<i class="bi bi-plus-lg"></i> ';
      more.append(T.newValue);
      more.addEventListener("click", function () {
        rows.push({value: "", synonyms: []});
        draw();
        var inputs = box.querySelectorAll("[data-testid=synonym-value]");
        inputs[inputs.length - 1].focus();
      });
      box.append(more);
    }
    draw();
  }

  document.querySelectorAll("textarea[data-synonym-editor]").forEach(editor);
})();
