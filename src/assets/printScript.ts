/** Receipt page: shows the Print button (hidden without script) and opens the browser's print dialog. */
export const printScript = `(function(){var b=document.querySelector("[data-print]");if(!b)return;b.hidden=false;b.addEventListener("click",function(){window.print();});})();
`;
