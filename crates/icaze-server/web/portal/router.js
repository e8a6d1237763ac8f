// The hash router's handle for screens: they re-show the current address after
// a change (route()) and tell whether the user has left them (currentView()),
// without importing app.js, which imports them.

let show = () => {};
let view = 0;

/** Set once by app.js: the function that shows the screen of the current address. */
export function setShow(fn) {
  show = fn;
}

/** Shows the screen of the current address again. */
export function route() {
  return show();
}

/** Starts a new view (a route change) and returns its number. */
export function nextView() {
  view += 1;
  return view;
}

/** The number of the newest view; a screen that kept an older one has been left. */
export function currentView() {
  return view;
}
