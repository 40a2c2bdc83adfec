// The add-member page's search as a type-ahead: the ARIA 1.2 combobox pattern (a text
// field with a listbox popup, the active option named by aria-activedescendant, results
// counted in a live region). From the given number of characters on, it asks the page's
// JSON endpoint for the matching people linked to the CoP's site; choosing one (arrow keys
// and Enter, or a click) selects them in the form's "Person" list. Without JavaScript the
// same search reloads the page with that list filled, so nothing here is required.
(function () {
  "use strict";

  var DELAY_MS = 250; // after the last key stroke: one request per pause, not per key
  var FAILED = "The search did not answer: use the Search button.";

  function setUp(form) {
    var input = form.querySelector('input[name="q"]');
    var listbox = form.querySelector('[role="listbox"]');
    var status = form.querySelector('[role="status"]');
    var select = document.getElementById(form.dataset.select);
    if (!input || !listbox || !status || !select || !window.fetch || !window.AbortController) {
      return;
    }
    var endpoint = form.dataset.memberSearch;
    var minLength = parseInt(form.dataset.minLength, 10) || 2;
    var options = []; // {id, name, label, el}
    var active = -1;
    var timer = null;
    var pending = null;
    var searched = input.value.trim();

    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", listbox.id);

    function announce(text) {
      status.textContent = text;
    }

    function highlight(index) {
      active = index;
      options.forEach(function (option, i) {
        option.el.setAttribute("aria-selected", i === index ? "true" : "false");
        option.el.classList.toggle("active", i === index);
      });
      if (index >= 0) {
        input.setAttribute("aria-activedescendant", options[index].el.id);
        options[index].el.scrollIntoView({ block: "nearest" });
      } else {
        input.removeAttribute("aria-activedescendant");
      }
    }

    function close() {
      highlight(-1);
      listbox.hidden = true;
      input.setAttribute("aria-expanded", "false");
    }

    function open() {
      if (!options.length) return;
      listbox.hidden = false;
      input.setAttribute("aria-expanded", "true");
    }

    function clear() {
      close();
      options = [];
      listbox.textContent = "";
    }

    function choose(option) {
      var value = String(option.id);
      var existing = Array.prototype.filter.call(select.options, function (item) {
        return item.value === value;
      })[0];
      if (!existing) {
        existing = new Option(option.label, value);
        select.add(existing, 1); // after the blank choice
      }
      select.value = value;
      select.dispatchEvent(new Event("change", { bubbles: true }));
      input.value = option.name;
      searched = option.name;
      clear();
      announce(option.name + " is chosen as the person to add: fill in the rest of the form.");
    }

    function show(results, more) {
      clear();
      options = results.map(function (result) {
        var item = document.createElement("li");
        item.id = listbox.id + "-" + result.id;
        item.className = "list-group-item list-group-item-action";
        item.setAttribute("role", "option");
        item.setAttribute("aria-selected", "false");
        item.textContent = result.label;
        var option = { id: result.id, name: result.name, label: result.label, el: item };
        // Keep the focus in the field (the ARIA pattern), then choose on click.
        item.addEventListener("mousedown", function (event) {
          event.preventDefault();
        });
        item.addEventListener("click", function () {
          choose(option);
        });
        listbox.appendChild(item);
        return option;
      });
      if (!options.length) {
        announce("Nobody linked to the site matches. Anyone else can be added by exact email below.");
        return;
      }
      open();
      var count = options.length === 1 ? "1 person matches" : options.length + " people match";
      announce(
        count + (more ? " (the first " + options.length + "; type more to narrow)" : "") +
          ": use the up and down arrows, then Enter to choose."
      );
    }

    function search() {
      var q = input.value.trim();
      if (q === searched) return;
      searched = q;
      if (pending) pending.abort();
      pending = null;
      if (q.length < minLength) {
        clear();
        announce(q.length ? "Type at least " + minLength + " characters." : "");
        return;
      }
      var request = new AbortController();
      pending = request;
      fetch(endpoint + "?q=" + encodeURIComponent(q), {
        headers: { Accept: "application/json" },
        credentials: "same-origin",
        signal: request.signal,
      })
        .then(function (response) {
          return response.json().then(function (body) {
            return { ok: response.ok, body: body };
          });
        })
        .then(function (answer) {
          if (pending !== request) return; // a later search is under way
          pending = null;
          if (answer.ok) {
            show(answer.body.results || [], answer.body.more);
          } else {
            clear();
            announce(answer.body.error || FAILED);
          }
        })
        .catch(function (error) {
          if (error.name === "AbortError") return;
          if (pending === request) pending = null;
          clear();
          announce(FAILED);
        });
    }

    input.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(search, DELAY_MS);
    });

    input.addEventListener("keydown", function (event) {
      var last = options.length - 1;
      switch (event.key) {
        case "ArrowDown":
          if (!options.length) return;
          event.preventDefault();
          open();
          highlight(active < last ? active + 1 : 0);
          break;
        case "ArrowUp":
          if (!options.length) return;
          event.preventDefault();
          open();
          highlight(active > 0 ? active - 1 : last);
          break;
        case "Enter":
          // With an option active, Enter chooses it; otherwise the form searches (reloads).
          if (!listbox.hidden && active >= 0) {
            event.preventDefault();
            choose(options[active]);
          }
          break;
        case "Escape":
          if (!listbox.hidden) {
            event.preventDefault();
            close();
          }
          break;
        default:
          break;
      }
    });

    input.addEventListener("blur", close);
  }

  document.querySelectorAll("form[data-member-search]").forEach(setUp);
})();
