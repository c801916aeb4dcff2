/**
 * Types for the functions the tests run inside the page (page.evaluate). The project compiles
 * against the Workers types without lib.dom, so a test module declares the few browser globals
 * its page functions use, module-scoped: `declare const document: PageDocument;`.
 */
export interface PageElement {
  id: string;
  tagName: string;
  textContent: string | null;
  classList: Iterable<string>;
  style: { setProperty(name: string, value: string): void };
  getAttribute(name: string): string | null;
  hasAttribute(name: string): boolean;
  getBoundingClientRect(): { left: number; right: number; top: number; bottom: number };
  blur(): void;
}

export interface PageForm extends PageElement {
  submit(): void;
}

export interface PageDocument {
  activeElement: PageElement | null;
  documentElement: PageElement & { clientWidth: number; scrollWidth: number };
  scrollingElement: (PageElement & { clientWidth: number; scrollWidth: number }) | null;
  querySelector(selector: string): PageElement | null;
  querySelectorAll(selector: string): Iterable<PageElement>;
}

export type PageComputedStyle = (element: PageElement) => { position: string; getPropertyValue(name: string): string };
