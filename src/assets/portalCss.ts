/** The portal's only stylesheet (served from /public/assets/portal.css; no third-party assets). */
export const portalCss = `
*,*::before,*::after{box-sizing:border-box}
html{font-size:100%;-webkit-text-size-adjust:100%}
body{margin:0;font-family:"BC Sans","Noto Sans",Arial,sans-serif;font-size:1.1875rem;line-height:1.4;color:#0b0c0c;background:#fff}
.width-container{max-width:960px;margin:0 auto;padding:0 15px}
.skip-link{position:absolute;left:-9999px;top:0;padding:10px;background:#fcba19;color:#0b0c0c}
.skip-link:focus{left:0;z-index:10;outline:3px solid #0b0c0c}
.header{background:#003366;color:#fff;border-bottom:10px solid #fcba19;padding:12px 0}
.header-title{font-weight:700;font-size:1.25rem}
.main{padding:30px 0 60px;outline:none}
.footer{border-top:1px solid #b1b4b6;padding:20px 0;font-size:1rem;color:#505a5f;background:#f3f2f1}
.heading-l{font-size:2rem;line-height:1.15;margin:0 0 20px}
.heading-s{font-size:1.1875rem;margin:0 0 10px}
.heading-m{font-size:1.5rem;line-height:1.25;margin:30px 0 15px}
.body{margin:0 0 20px}
.list{margin:0 0 20px;padding-left:20px}
a{color:#1a5a96;text-decoration:underline;text-underline-offset:.1em}
a:hover{color:#003366;text-decoration-thickness:3px}
a:focus,button:focus,input:focus,textarea:focus,select:focus,.main:focus-visible{outline:3px solid #fcba19;outline-offset:0;box-shadow:inset 0 0 0 2px #0b0c0c}
a:focus{background:#fcba19;color:#0b0c0c;box-shadow:0 -2px #fcba19,0 4px #0b0c0c;text-decoration:none;outline:none}
.form-group{margin-bottom:25px}
.form-group-error{border-left:5px solid #d4351c;padding-left:15px}
.label{display:block;font-weight:700;margin-bottom:5px}
.hint{color:#505a5f;margin-bottom:10px}
.input,textarea,select{font:inherit;font-size:1.1875rem;padding:5px;border:2px solid #0b0c0c;border-radius:0;min-height:44px;width:100%;max-width:100%;background:#fff}
.input-error{border-color:#d4351c}
.input-width-2{max-width:5.5ex}.input-width-4{max-width:9ex}.input-width-20{max-width:41ex}.input-width-30{max-width:59ex}
.fieldset{border:0;margin:0 0 25px;padding:0;min-width:0}
.fieldset-legend{font-weight:700;margin-bottom:5px;padding:0}
.date-inputs{display:flex;flex-wrap:wrap;gap:0 20px}
.date-inputs .form-group{margin-bottom:0}
.error-message{color:#d4351c;font-weight:700;margin:0 0 10px}
.error-summary{border:5px solid #d4351c;padding:20px;margin-bottom:30px}
.error-summary:focus{outline:3px solid #fcba19}
.error-summary-title{margin:0 0 15px;font-size:1.5rem}
.error-summary-list{margin:0;padding-left:0;list-style:none}
.error-summary-list a{color:#d4351c;font-weight:700}
.visually-hidden{position:absolute!important;width:1px!important;height:1px!important;margin:0!important;padding:0!important;overflow:hidden!important;clip:rect(0 0 0 0)!important;white-space:nowrap!important;border:0!important}
.button{display:inline-block;font:inherit;font-weight:400;font-size:1.1875rem;line-height:1.2;padding:10px 15px;min-height:44px;border:2px solid transparent;border-radius:0;color:#fff;background:#00703c;box-shadow:0 2px 0 #002d18;cursor:pointer;text-decoration:none;margin:0 15px 20px 0}
.button:hover{background:#005a30;color:#fff}
.button:focus{background:#fcba19;color:#0b0c0c;outline:3px solid transparent;box-shadow:inset 0 0 0 1px #fcba19,0 2px 0 #0b0c0c}
.button[disabled]{opacity:.5;cursor:not-allowed}
.button-secondary{background:#f3f2f1;color:#0b0c0c;box-shadow:0 2px 0 #929191}
.button-secondary:hover{background:#dbdad9;color:#0b0c0c}
.cancel-form{margin-top:10px;border-top:1px solid #b1b4b6;padding-top:20px}
.payment-summary{border-left:5px solid #003366;padding:10px 15px;margin-bottom:30px;background:#f3f2f1}
.summary-list{margin:0}
.summary-row{display:flex;flex-wrap:wrap;gap:0 15px;margin-bottom:5px}
.summary-row dt{font-weight:700;min-width:8em}
.summary-row dd{margin:0;overflow-wrap:anywhere}
.amount{font-weight:700;font-size:1.5rem}
.panel{background:#00703c;color:#fff;padding:25px;margin-bottom:30px;text-align:center}
.panel-title{margin:0 0 10px;font-size:2rem}
.panel-body{margin:0;font-size:1.5rem;overflow-wrap:anywhere}
.notice{border-left:5px solid #1a5a96;padding:10px 15px;background:#f3f2f1;overflow-wrap:anywhere}
.demo-lines td,.demo-lines th{padding:4px 8px 4px 0;text-align:left;vertical-align:top}
.result-table{border-collapse:collapse;margin-bottom:20px;width:100%}
.result-table th,.result-table td{border-bottom:1px solid #b1b4b6;padding:8px 10px 8px 0;text-align:left;vertical-align:top;overflow-wrap:anywhere}
.table-scroll{overflow-x:auto;margin-bottom:20px}.table-scroll:focus{outline:3px solid #fcba19}
.table-scroll .result-table{margin-bottom:0}.table-scroll .result-table th,.table-scroll .result-table td{overflow-wrap:break-word}
.filter-form{display:flex;flex-wrap:wrap;align-items:flex-end;gap:15px 20px;margin-bottom:25px}.filter-form .form-group{margin-bottom:0}.filter-form .button{margin-bottom:0}
.cell-link{display:inline-block;min-width:24px;min-height:24px}
.download-list{overflow-wrap:anywhere}.download-list li{margin-bottom:8px}
.totals-table{width:auto}.totals-table th{padding-right:30px}
.tag{display:inline-block;padding:2px 8px;font-weight:700}
.tag-ok{background:#cce2d8;color:#005a30}.tag-bad{background:#f6d7d2;color:#942514}
code,pre{font-family:monospace;font-size:1rem;overflow-wrap:anywhere;white-space:pre-wrap}
.header-inner{display:flex;flex-wrap:wrap;justify-content:space-between;align-items:center;gap:5px 20px}
.language-switch{color:#fff;font-size:1rem}
.language-switch:hover{color:#fff}
.language-switch:focus{color:#0b0c0c}
.partner-logo{display:block;max-height:60px;max-width:240px;margin-bottom:10px;background:#fff}
.accepted-cards{margin-bottom:25px}
.brand-list{display:flex;flex-wrap:wrap;gap:8px;list-style:none;margin:0;padding:0}
.brand-list img{display:block}
.button-group{display:flex;flex-wrap:wrap;align-items:flex-start}
.inline-form{display:inline}
.privacy-notice,.partner-contact{border-top:1px solid #b1b4b6;padding-top:20px;margin-top:20px;font-size:1rem}
.receipt-list .summary-row{border-bottom:1px solid #b1b4b6;padding:5px 0}
@media print{.header,.footer,.skip-link,.no-print,.language-switch{display:none!important}body{font-size:12pt;color:#000}.main{padding:0}a{color:#000;text-decoration:none}.receipt-list .summary-row dt{min-width:12em}}
@media (max-width:640px){.heading-l{font-size:1.6rem}.button{width:100%;margin-right:0;text-align:center}}
`;
