// Stands in for a package a Docusaurus config or sidebars file imports but this server does not
// have (prism-react-renderer, remark plugins, @docusaurus/*): any property, call or `new` on it
// gives the stand-in again, so `themes.github`, `require('x').default` and `plugin()` all load.
// See docs/decisions/015-docusaurus-sites.md.
"use strict";
const stub = new Proxy(function missingPackage() {}, {
  get(_target, prop) {
    if (prop === "__esModule" || prop === "then" || prop === "toJSON") return undefined;
    if (prop === Symbol.toPrimitive) return () => "";
    if (prop === Symbol.iterator) return function* () {};
    return stub;
  },
  apply: () => stub,
  construct: () => stub,
});
module.exports = stub;
