// Passkeys on the second-factor pages (served as /assets/sigil-mfa.js; CSP script-src 'self').
// A <form data-webauthn="authenticate|register" data-webauthn-options="ID"> gets its button
// shown where the browser supports WebAuthn; a click runs @simplewebauthn/browser (served by
// sigil as /assets/webauthn.js) with the options in the JSON block #ID, puts the answer in
// the form's `credential` field and posts the form. Codes work without this script.
'use strict';
(function () {
  var lib = window.SimpleWebAuthnBrowser;
  var forms = document.querySelectorAll('form[data-webauthn]');
  forms.forEach(function (form) {
    var button = form.querySelector('[data-webauthn-start]');
    var status = form.querySelector('[data-webauthn-status]');
    var source = document.getElementById(form.getAttribute('data-webauthn-options'));
    var field = form.querySelector('input[name="credential"]');
    if (!button || !source || !field) return;
    if (!lib || !lib.browserSupportsWebAuthn()) {
      if (status) status.textContent = 'This browser cannot use passkeys here.';
      return;
    }
    button.hidden = false;
    button.addEventListener('click', function (event) {
      event.preventDefault();
      var register = form.getAttribute('data-webauthn') === 'register';
      var start = register ? lib.startRegistration : lib.startAuthentication;
      if (status) status.textContent = 'Waiting for your passkey or security key…';
      start({ optionsJSON: JSON.parse(source.textContent) }).then(
        function (credential) {
          field.value = JSON.stringify(credential);
          form.submit();
        },
        function () {
          if (status)
            status.textContent = 'The passkey was not used (cancelled or timed out). Try again.';
        },
      );
    });
  });
})();
