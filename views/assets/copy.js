// Copy buttons of the kubeconfig page (served as /assets/sigil-copy.js; CSP script-src 'self').
// A <button data-copy="ID" hidden> copies the text of the element #ID; the buttons stay hidden
// where this script or the clipboard API is unavailable (Download still works).
'use strict';
(function () {
  if (!navigator.clipboard) return;
  const buttons = document.querySelectorAll('button[data-copy]');
  buttons.forEach(function (button) {
    const id = button.getAttribute('data-copy');
    const source = document.getElementById(id);
    const status = document.querySelector('[data-copy-status="' + CSS.escape(id) + '"]');
    if (!source) return;
    button.hidden = false;
    button.addEventListener('click', function () {
      navigator.clipboard.writeText(source.textContent).then(
        function () {
          if (status) status.textContent = 'Copied to the clipboard.';
        },
        function () {
          if (status) status.textContent = 'Copying failed: use Download, or select the text.';
        },
      );
    });
  });
})();
