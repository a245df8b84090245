// Live collection progress on the case page: polls the progress URL while the case is collecting
// and updates every counter on the page; once collection is over the page reloads (once) to show
// the final status and the events. Text from the server is only ever set with textContent.
(function () {
  "use strict";
  var source = document.querySelector('[data-progress-url][data-collecting="true"]');
  if (!source) return;
  var bar = document.getElementById("harvest-progress");
  var failedBox = document.getElementById("failed-windows");
  // The page of failed windows shown (they come a page at a time, however many there are).
  var failedPage = failedBox && failedBox.dataset.failedPage ? failedBox.dataset.failedPage : 1;
  var url = source.dataset.progressUrl + "?failed_page=" + failedPage;
  var POLL_MS = 1500;

  function setField(name, value) {
    document.querySelectorAll('[data-field="' + name + '"]').forEach(function (el) {
      el.textContent = String(value);
    });
  }

  function cell(text, className) {
    var td = document.createElement("td");
    td.textContent = text;
    if (className) td.className = className;
    return td;
  }

  function render(data) {
    if (bar) {
      bar.max = data.total;
      bar.value = data.finished;
      bar.textContent = data.percent + "%";
    }
    setField("finished", data.finished);
    setField("total", data.total);
    setField("percent", data.percent);
    setField("failed_count", data.failed_count);
    Object.keys(data.events_per_channel).forEach(function (channel) {
      var el = document.querySelector('[data-channel-count="' + channel + '"]');
      if (el) el.textContent = String(data.events_per_channel[channel]);
    });
    if (failedBox) {
      var body = failedBox.querySelector("tbody");
      body.replaceChildren();
      data.failed.forEach(function (w) {
        var tr = document.createElement("tr");
        var cause = cell(w.next_step, "cause");
        var kind = document.createElement("strong");
        kind.textContent = (w.failure || "Failed") + ".";
        cause.prepend(kind, " ");
        if (w.detail) {
          var folded = document.createElement("details");
          var summary = document.createElement("summary");
          var code = document.createElement("code");
          summary.textContent = "Technical detail";
          code.textContent = w.detail;
          folded.append(summary, code);
          cause.append(folded);
        }
        tr.append(cell(w.channel), cell(w.start + " – " + w.end), cell(w.account), cause);
        body.append(tr);
      });
      failedBox.hidden = data.failed_count === 0;
    }
  }

  function poll() {
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) throw new Error("progress " + response.status);
        return response.json();
      })
      .then(function (data) {
        render(data);
        if (data.collecting) {
          window.setTimeout(poll, POLL_MS);
        } else {
          // Finished: reload once, on the collection panel, to show the status and the events.
          if (document.getElementById("collection")) {
            window.history.replaceState(null, "", "#collection");
          }
          window.location.reload();
        }
      })
      .catch(function () { window.setTimeout(poll, POLL_MS * 2); });
  }

  window.setTimeout(poll, POLL_MS);
})();
