/* cityops in the user's language, and downloads that stay data.
 *
 * The server writes <html lang="zh-CN|en"> from the language cookie, so every
 * function here reads the language from the document, never from the browser.
 *
 * - Date pickers: Dash 4 formats month and weekday names with the date-fns
 *   locales it finds in window.dateFns.locale (falling back to the first one
 *   when none matches the browser). assets/vendor/date-fns-*-zh-CN.min.js adds
 *   zhCN there; pickDateLocale keeps it only while the page is Chinese, so an
 *   English page in a Chinese browser still shows English names.
 * - AG Grid (dash-ag-grid function strings, {"function": "cityopsNumber(params, 1)"}):
 *   cityopsNumber formats numbers with thousands separators; cityopsCsvCell keeps
 *   a text cell that starts with = + - @ tab or CR from becoming a formula in a
 *   spreadsheet (OWASP CSV injection: prefix a single quote). Numbers stay numbers.
 * - Navigation: cityops.nav.links rewrites the header links so that switching
 *   pages keeps scope and date, and marks the current page.
 */
(function () {
    'use strict';
    const root = (window.cityops = window.cityops || {});

    /** 'en' or 'zh', from <html lang> (the server sets it from the cookie). */
    root.lang = function () {
        const code = (document.documentElement.getAttribute('lang') || '').toLowerCase();
        return code.indexOf('en') === 0 ? 'en' : 'zh';
    };

    // ---- date pickers ------------------------------------------------------
    root.dateLocales = root.dateLocales || {};
    root.pickDateLocale = function () {
        const fns = (window.dateFns = window.dateFns || {});
        Object.assign(root.dateLocales, fns.locale || {});
        const zh = root.lang() === 'zh' && root.dateLocales.zhCN;
        fns.locale = zh ? {zhCN: root.dateLocales.zhCN} : {};
    };
    root.pickDateLocale();
    // again once every script has run (the vendored locale loads after this file)
    document.addEventListener('DOMContentLoaded', root.pickDateLocale);

    // ---- grid cells and exports --------------------------------------------
    // Keep in step with components/tables.py FORMULA_TRIGGERS.
    const TRIGGERS = /^[=+\-@\t\r\uff1d\uff0b\uff0d\uff20]/;

    /** Return a cell value safe for a spreadsheet: risky text gets a leading quote. */
    root.safeCell = function (value) {
        if (value === null || value === undefined) { return ''; }
        if (typeof value === 'number' || typeof value === 'boolean') { return value; }
        const text = String(value);
        return TRIGGERS.test(text) ? "'" + text : text;
    };

    const numberFormats = {};
    /** Return a number with thousands separators and ``digits`` decimals; text as is. */
    root.formatNumber = function (value, digits) {
        if (value === null || value === undefined || value === '') { return ''; }
        if (typeof value !== 'number' || !isFinite(value)) { return String(value); }
        const d = digits || 0;
        const tag = (root.lang() === 'en' ? 'en-US' : 'zh-CN');
        const key = tag + ':' + d;
        if (!numberFormats[key]) {
            numberFormats[key] = new Intl.NumberFormat(tag, {
                minimumFractionDigits: d, maximumFractionDigits: d,
            });
        }
        return numberFormats[key].format(value);
    };

    const dag = (window.dashAgGridFunctions = window.dashAgGridFunctions || {});
    dag.cityopsNumber = function (params, digits) {
        return root.formatNumber(params ? params.value : null, digits);
    };
    dag.cityopsCsvCell = function (params) {
        return root.safeCell(params ? params.value : null);
    };

    // ---- navigation ----------------------------------------------------------
    const KEEP = ['scope', 'date'];
    const NO_SCOPE = ['/data'];  // pages that take neither scope nor date

    function base(href) { return String(href || '/').split(/[?#]/)[0] || '/'; }

    root.nav = {
        /**
         * Return {hrefs, current} for the header links (their current ``hrefs``)
         * when the page is at ``pathname`` + ``search``: each link carries the
         * page's scope and date; on a page without them (the data catalogue) the
         * links keep what they had, so going back returns to the same area.
         */
        links: function (pathname, search, hrefs) {
            const here = base(pathname);
            const bases = (hrefs || []).map(base);
            const params = new URLSearchParams(search || '');
            const kept = new URLSearchParams();
            KEEP.forEach(function (k) { if (params.get(k)) { kept.set(k, params.get(k)); } });
            const query = kept.toString();
            const scoped = bases.indexOf(here) >= 0 && NO_SCOPE.indexOf(here) < 0;
            const out = bases.map(function (b, i) {
                if (NO_SCOPE.indexOf(b) >= 0) { return b; }
                if (!scoped) { return hrefs[i] || b; }
                return query ? b + '?' + query : b;
            });
            return {hrefs: out, current: bases.map(function (b) { return b === here; })};
        },

        /** Set aria-current="page" on the header link of the current page only. */
        mark: function (here) {
            document.querySelectorAll('.main-nav a').forEach(function (a) {
                if (base(a.getAttribute('href')) === here) {
                    a.setAttribute('aria-current', 'page');
                } else {
                    a.removeAttribute('aria-current');
                }
            });
        },
    };

    window.dash_clientside = window.dash_clientside || {};
    window.dash_clientside.cityops = Object.assign({}, window.dash_clientside.cityops, {
        /** Clientside callback of components/shell.py: [hrefs, classNames]. */
        navLinks: function (pathname, search, hrefs) {
            const r = root.nav.links(pathname, search, hrefs);
            const here = base(pathname);
            root.nav.mark(here);
            setTimeout(function () { root.nav.mark(here); }, 0);
            return [r.hrefs, r.current.map(function (c) { return c ? 'nav-link active' : 'nav-link'; })];
        },
    });
})();
