// Applies the saved theme before the app's first paint (no flash of the wrong theme). A file,
// not an inline script: the page's Content-Security-Policy runs scripts from the server only.
try {
  var s = JSON.parse(localStorage.getItem("roomchat.settings") || "{}");
  var t = s.theme || "dark";
  var dark = t === "dark" || (t === "system" && matchMedia("(prefers-color-scheme: dark)").matches);
  document.documentElement.classList.toggle("dark", dark);
} catch (e) {}
