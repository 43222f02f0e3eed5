// The one template library: htm + Preact (vendored, no build step). Text is never parsed as HTML.
export {
  html, render, Component, useState, useEffect, useMemo, useCallback, useRef,
} from '../vendor/htm-preact-standalone-3.1.1.module.js';
