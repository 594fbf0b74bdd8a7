// The households' cabinet (api/routes/cabinet.ts): sign in, then one overview from
// /cabinet/api/overview. Every POST carries the CSRF token the server handed out. Values are put
// into the page as text only (never as HTML). Russian and Kazakh; the choice is kept in localStorage.
'use strict';
(() => {
  const T = {
    ru: {
      brand: 'Личный кабинет · ЕРЦ', signOut: 'Выйти', signInTitle: 'Вход в личный кабинет', account: 'Лицевой счёт',
      code: 'Код доступа (напечатан в счёте-извещении)', signIn: 'Войти', current: 'Текущий счёт', image: 'Счёт-извещение (как у кассира)',
      pay: 'Где оплатить', noMoney: 'Личный кабинет не принимает деньги. Оплатите счёт в любом банке по QR-коду или по номеру лицевого счёта:',
      readings: 'Показания приборов учёта', service: 'Услуга', previous: 'Предыдущие', billed: 'К начислению', currentReading: 'Текущие',
      sendReadings: 'Передать показания', history: 'Счета', period: 'Период', dueDate: 'Оплатить до', totalDue: 'К оплате',
      payments: 'Платежи', date: 'Дата', bank: 'Банк', channel: 'Канал', amount: 'Сумма', state: 'Состояние', ref: 'Квитанция',
      complaint: 'Я оплатил, а платёж не виден', receiptRef: 'Номер квитанции (референс банка)', complaintText: 'Что случилось (без личных данных)',
      sendComplaint: 'Отправить жалобу', email: 'Счёт по электронной почте', emailAddress: 'Адрес электронной почты', subscribe: 'Получать счета на этот адрес',
      emailNone: 'Счета на e-mail не приходят.', em_pending: 'ждёт подтверждения (откройте ссылку из письма)', em_confirmed: 'подтверждён: счета приходят', em_unsubscribed: 'отписан',
      emailSent: 'Письмо со ссылкой отправлено на {email}. Откройте ссылку, чтобы подтвердить адрес.', emailConfirmed: 'Адрес {email} уже подтверждён.',
      EMAIL_INVALID: 'Адрес электронной почты указан неверно.', EMAIL_LIMIT_REACHED: 'Слишком много писем с подтверждением. Попробуйте позже.', MAIL_UNAVAILABLE: 'Письмо сейчас не отправить. Попробуйте позже.',
      lang: 'Қазақша', charged: 'Начислено', paid: 'Оплачено', stillDue: 'Осталось оплатить', opening: 'Сальдо', noInvoice: 'Счёта пока нет.',
      windowOpen: 'Показания принимаются с {from} по {to}.', windowClosed: 'Показания за этот период принимаются с {from} по {to}; сейчас приём закрыт.',
      none: 'нет (по нормативу)', fromCabinet: 'кабинет', fromBank: 'банк', noPayments: 'Платежей пока нет.',
      st_accepted: 'принят', st_cancelled: 'отменён', st_excluded: 'исключён при сверке', st_corrected: 'исправлен ЕРЦ',
      ch_cash_desk: 'касса', ch_online: 'онлайн', ch_kiosk: 'терминал', ch_register: 'реестр',
      readingsAccepted: 'Показания приняты: {list}.', complaintRaised: 'Жалоба {id} зарегистрирована, ответ до {deadline}.',
      SIGN_IN_FAILED: 'Неверный лицевой счёт или код доступа. Оба напечатаны в счёте-извещении.',
      SIGN_IN_LOCKED: 'Слишком много неверных попыток. Вход заблокирован, попробуйте позже.',
      linkTitle: 'Войти по ссылке из письма', linkHint: 'Если этот адрес подтверждён для счетов вашего лицевого счёта, на него придёт ссылка для входа.',
      sendLink: 'Прислать ссылку для входа', linkSent: 'Если адрес {email} подтверждён для лицевого счёта, письмо со ссылкой для входа уже в пути. Ссылка действует 15 минут.',
      SIGN_IN_LINK_LIMITED: 'Слишком много запросов ссылки. Попробуйте позже.',
      NOT_SIGNED_IN: 'Сеанс закончился. Войдите снова.', CSRF_FAILED: 'Страница устарела. Обновите её.',
      READING_BELOW_PREVIOUS: 'Текущие показания меньше предыдущих. Проверьте показания.',
      READING_IMPLAUSIBLE: 'Показания слишком велики для одного периода. Проверьте, нет ли лишней цифры.',
      READINGS_WINDOW_CLOSED: 'Приём показаний за этот период закрыт.', INVALID_READING: 'Показания указаны неверно.',
      PAYMENT_NOT_FOUND: 'У вашего лицевого счёта нет платежа с таким номером квитанции.', RATE_LIMITED: 'Слишком много запросов. Подождите минуту.',
      VALIDATION_FAILED: 'Проверьте заполнение полей.', failed: 'Не удалось выполнить запрос. Повторите позже.',
    },
    kk: {
      brand: 'Жеке кабинет · БЕО', signOut: 'Шығу', signInTitle: 'Жеке кабинетке кіру', account: 'Дербес шот',
      code: 'Кіру коды (шот-хабарламада басылған)', signIn: 'Кіру', current: 'Ағымдағы шот', image: 'Шот-хабарлама (кассирдегідей)',
      pay: 'Қайда төлеуге болады', noMoney: 'Жеке кабинет ақша қабылдамайды. Шотты кез келген банкте QR-код немесе дербес шот нөмірі бойынша төлеңіз:',
      readings: 'Есептегіш көрсеткіштері', service: 'Қызмет', previous: 'Алдыңғы', billed: 'Есептеуге', currentReading: 'Ағымдағы',
      sendReadings: 'Көрсеткіштерді жіберу', history: 'Шоттар', period: 'Кезең', dueDate: 'Төлеу мерзімі', totalDue: 'Төлеуге',
      payments: 'Төлемдер', date: 'Күні', bank: 'Банк', channel: 'Арна', amount: 'Сома', state: 'Күйі', ref: 'Түбіртек',
      complaint: 'Мен төледім, бірақ төлем көрінбейді', receiptRef: 'Түбіртек нөмірі (банк референсі)', complaintText: 'Не болды (жеке деректерсіз)',
      sendComplaint: 'Шағым жіберу', email: 'Шот электрондық поштамен', emailAddress: 'Электрондық пошта мекенжайы', subscribe: 'Шоттарды осы мекенжайға алу',
      emailNone: 'Шоттар e-mail-ге келмейді.', em_pending: 'растауды күтуде (хаттағы сілтемені ашыңыз)', em_confirmed: 'расталды: шоттар келеді', em_unsubscribed: 'жазылымнан бас тартылды',
      emailSent: 'Сілтемесі бар хат {email} мекенжайына жіберілді. Мекенжайды растау үшін сілтемені ашыңыз.', emailConfirmed: '{email} мекенжайы бұрыннан расталған.',
      EMAIL_INVALID: 'Электрондық пошта мекенжайы қате.', EMAIL_LIMIT_REACHED: 'Растау хаттары тым көп. Кейінірек қайталаңыз.', MAIL_UNAVAILABLE: 'Хатты қазір жіберу мүмкін емес. Кейінірек қайталаңыз.',
      lang: 'Русский', charged: 'Есептелді', paid: 'Төленді', stillDue: 'Төлеуге қалды', opening: 'Қалдық', noInvoice: 'Әзірге шот жоқ.',
      windowOpen: 'Көрсеткіштер {from} бастап {to} дейін қабылданады.', windowClosed: 'Бұл кезеңнің көрсеткіштері {from} бастап {to} дейін қабылданады; қазір қабылдау жабық.',
      none: 'жоқ (норматив бойынша)', fromCabinet: 'кабинет', fromBank: 'банк', noPayments: 'Әзірге төлем жоқ.',
      st_accepted: 'қабылданды', st_cancelled: 'жойылды', st_excluded: 'салыстыруда шығарылды', st_corrected: 'БЕО түзетті',
      ch_cash_desk: 'касса', ch_online: 'онлайн', ch_kiosk: 'терминал', ch_register: 'тізілім',
      readingsAccepted: 'Көрсеткіштер қабылданды: {list}.', complaintRaised: '{id} шағымы тіркелді, жауап {deadline} дейін.',
      SIGN_IN_FAILED: 'Дербес шот немесе кіру коды қате. Екеуі де шот-хабарламада басылған.',
      SIGN_IN_LOCKED: 'Қате әрекеттер тым көп. Кіру бұғатталды, кейінірек қайталаңыз.',
      linkTitle: 'Хаттағы сілтеме арқылы кіру', linkHint: 'Егер бұл мекенжай дербес шотыңыздың шоттары үшін расталған болса, оған кіру сілтемесі келеді.',
      sendLink: 'Кіру сілтемесін жіберу', linkSent: 'Егер {email} мекенжайы дербес шот үшін расталған болса, кіру сілтемесі бар хат жолда. Сілтеме 15 минут жарамды.',
      SIGN_IN_LINK_LIMITED: 'Сілтеме сұраулары тым көп. Кейінірек қайталаңыз.',
      NOT_SIGNED_IN: 'Сеанс аяқталды. Қайта кіріңіз.', CSRF_FAILED: 'Бет ескірді. Оны жаңартыңыз.',
      READING_BELOW_PREVIOUS: 'Ағымдағы көрсеткіштер алдыңғыдан аз. Көрсеткіштерді тексеріңіз.',
      READING_IMPLAUSIBLE: 'Көрсеткіштер бір кезеңге тым үлкен. Артық цифр жоқ па, тексеріңіз.',
      READINGS_WINDOW_CLOSED: 'Бұл кезеңнің көрсеткіштерін қабылдау жабық.', INVALID_READING: 'Көрсеткіштер қате көрсетілген.',
      PAYMENT_NOT_FOUND: 'Дербес шотыңызда мұндай түбіртек нөмірімен төлем жоқ.', RATE_LIMITED: 'Сұраулар тым көп. Бір минут күтіңіз.',
      VALIDATION_FAILED: 'Өрістердің толтырылуын тексеріңіз.', failed: 'Сұрау орындалмады. Кейінірек қайталаңыз.',
    },
  };
  const $ = (id) => document.getElementById(id);
  let lang = localStorage.getItem('spc.cabinet.lang') === 'kk' ? 'kk' : 'ru';
  let csrf = '';
  let overview = null;
  const t = (key, vars) => String(T[lang][key] ?? T.ru[key] ?? key).replace(/\{(\w+)\}/g, (_m, k) => String(vars?.[k] ?? ''));

  function applyLanguage() {
    document.documentElement.lang = lang;
    for (const el of document.querySelectorAll('[data-t]')) el.textContent = t(el.dataset.t);
    $('lang').textContent = t('lang');
    $('lang').lang = lang === 'ru' ? 'kk' : 'ru';
    if (overview) render(overview);
  }

  function show(kind, text, code) {
    const box = $('message');
    box.className = `message ${kind}`;
    box.textContent = text;
    if (code) {
      const c = document.createElement('span');
      c.className = 'code';
      c.textContent = code;
      box.append(c);
    }
    box.hidden = false;
  }
  const clear = () => { $('message').hidden = true; };

  async function call(method, path, body) {
    const headers = { 'x-csrf-token': csrf };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'same-origin' });
    const data = (res.headers.get('content-type') || '').includes('application/json') ? await res.json() : null;
    if (!res.ok) {
      const err = new Error(data?.message || res.statusText);
      err.code = data?.code || 'failed';
      throw err;
    }
    return data;
  }
  const fail = (err) => show('error', T[lang][err.code] ? t(err.code) : t('failed'), err.code);

  function cell(row, text, cls) {
    const td = document.createElement('td');
    td.textContent = text;
    if (cls) td.className = cls;
    row.append(td);
    return td;
  }
  const money = (s) => `${s} ₸`;

  function renderCurrent(inv) {
    const box = $('current');
    box.replaceChildren();
    if (!inv) { box.textContent = t('noInvoice'); $('invoice-image').hidden = true; return; }
    $('invoice-image').hidden = false;
    const head = document.createElement('p');
    head.textContent = `${t('period')}: ${inv.period} · ${t('dueDate')}: ${inv.dueDate}`;
    const table = document.createElement('table');
    table.className = 'grid';
    table.id = 'current-lines';
    const hr = table.insertRow();
    for (const k of ['service', 'opening', 'charged', 'paid', 'stillDue']) { const th = document.createElement('th'); th.textContent = t(k); hr.append(th); }
    for (const s of inv.services) {
      const r = table.insertRow();
      r.dataset.service = s.code;
      cell(r, s.name); cell(r, s.openingBalance, 'num'); cell(r, s.charged, 'num'); cell(r, s.paid, 'num'); cell(r, s.stillDue, 'num');
    }
    const total = document.createElement('p');
    total.className = 'total';
    total.id = 'still-due';
    total.textContent = `${t('stillDue')}: ${money(inv.totalStillDue)}`;
    const sub = document.createElement('p');
    sub.className = 'muted';
    sub.textContent = `${t('totalDue')}: ${money(inv.totalDue)} · ${t('paid')}: ${money(inv.totalPaid)}`;
    box.append(head, table, total, sub);
  }

  function renderReadings(rd) {
    const body = $('meters');
    body.replaceChildren();
    if (!rd) { $('window').textContent = ''; $('readings-form').hidden = true; return; }
    $('readings-form').hidden = rd.meters.length === 0;
    $('window').textContent = t(rd.open ? 'windowOpen' : 'windowClosed', rd.window);
    for (const m of rd.meters) {
      const r = body.insertRow();
      r.dataset.service = m.service;
      cell(r, `${m.name}${m.unit ? `, ${m.unit}` : ''} (№ ${m.serialNo})`);
      cell(r, m.previousReading, 'num');
      cell(r, m.billed ? `${m.billed.value} (${t(m.billed.source === 'cabinet' ? 'fromCabinet' : 'fromBank')}${m.billed.bankCode ? ` ${m.billed.bankCode}` : ''})` : t('none'), 'num billed');
      const td = cell(r, '');
      const input = document.createElement('input');
      input.name = m.service;
      input.inputMode = 'decimal';
      input.pattern = '[0-9]{1,11}([.,][0-9]{1,3})?';
      input.setAttribute('aria-label', `${m.name}: ${t('currentReading')}`);
      input.disabled = !rd.open;
      td.append(input);
    }
    $('send-readings').disabled = !rd.open;
  }

  function renderEmails(list) {
    const ul = $('email-list');
    ul.replaceChildren(...list.map((e) => { const li = document.createElement('li'); li.dataset.state = e.state; li.textContent = `${e.email}: ${t(`em_${e.state}`)}`; return li; }));
    if (list.length === 0) { const li = document.createElement('li'); li.dataset.state = 'none'; li.textContent = t('emailNone'); ul.append(li); }
  }

  function render(o) {
    renderCurrent(o.invoice);
    $('qr').hidden = !o.qr;
    if (o.qr) $('qr').src = o.qr.image;
    $('banks').replaceChildren(...o.whereToPay.banks.map((b) => { const li = document.createElement('li'); li.textContent = b.name; return li; }));
    const select = $('complaint-bank');
    const chosen = select.value;
    select.replaceChildren(...o.whereToPay.banks.map((b) => { const opt = document.createElement('option'); opt.value = b.code; opt.textContent = b.name; return opt; }));
    if (chosen) select.value = chosen;
    renderReadings(o.readings);
    renderEmails(o.emailSubscriptions);
    $('invoices').replaceChildren(...o.invoices.map((i) => {
      const r = document.createElement('tr');
      cell(r, i.period); cell(r, i.dueDate); cell(r, money(i.totalDue), 'num');
      const a = document.createElement('a');
      a.href = i.pdf;
      a.textContent = `PDF ${i.period}`;
      a.setAttribute('download', `invoice-${i.period}.pdf`);
      cell(r, '').append(a);
      return r;
    }));
    const pays = $('payments');
    pays.replaceChildren();
    if (o.payments.length === 0) { const r = pays.insertRow(); const td = cell(r, t('noPayments')); td.colSpan = 6; }
    for (const p of o.payments) {
      const r = pays.insertRow();
      cell(r, new Date(p.paidAt).toLocaleString(lang === 'kk' ? 'kk-KZ' : 'ru-RU', { timeZone: 'Asia/Almaty' }));
      cell(r, p.bankName); cell(r, t(`ch_${p.channel}`)); cell(r, money(p.amount), 'num');
      cell(r, t(`st_${p.state}`), `state-${p.state}`); cell(r, p.bankRef);
    }
  }

  async function load() {
    overview = await call('GET', '/cabinet/api/overview');
    $('sign-in').hidden = true;
    $('sign-in-link').hidden = true;
    $('home').hidden = false;
    $('sign-out').hidden = false;
    render(overview);
  }

  async function start() {
    applyLanguage();
    const s = await call('GET', '/cabinet/api/session');
    csrf = s.csrfToken;
    if (s.signedIn) { await load(); return; }
    $('sign-in').hidden = false;
    $('sign-in-link').hidden = false;
    $('account').focus();
  }

  $('lang').addEventListener('click', () => { lang = lang === 'ru' ? 'kk' : 'ru'; localStorage.setItem('spc.cabinet.lang', lang); applyLanguage(); });

  $('sign-in').addEventListener('submit', async (e) => {
    e.preventDefault();
    clear();
    try {
      const s = await call('POST', '/cabinet/api/sign-in', { account: $('account').value.trim(), code: $('code').value });
      csrf = s.csrfToken;
      $('code').value = '';
      await load();
      $('h-current').focus();
    } catch (err) {
      fail(err);
      $('code').select();
    }
  });

  $('sign-in-link').addEventListener('submit', async (e) => {
    e.preventDefault();
    clear();
    const email = $('link-email').value.trim();
    try {
      await call('POST', '/cabinet/api/sign-in-link', { email });
      show('info', t('linkSent', { email }));
      $('sign-in-link').reset();
    } catch (err) { fail(err); }
  });

  $('sign-out').addEventListener('click', async () => {
    try { await call('POST', '/cabinet/api/sign-out', {}); } catch { /* signed out either way */ }
    window.location.reload();
  });

  $('readings-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    clear();
    const readings = [...$('meters').querySelectorAll('input')]
      .filter((i) => i.value.trim() !== '')
      .map((i) => ({ service: i.name, value: i.value.trim().replace(',', '.') }));
    if (readings.length === 0) return;
    try {
      const res = await call('POST', '/cabinet/api/readings', { readings });
      await load();
      show('info', t('readingsAccepted', { list: res.accepted.map((a) => `${a.service} ${a.value}`).join(', ') }));
    } catch (err) { fail(err); }
  });

  $('complaint-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    clear();
    try {
      const c = await call('POST', '/cabinet/api/complaints', { bankCode: $('complaint-bank').value, bankRef: $('complaint-ref').value.trim(), text: $('complaint-text').value });
      show('info', t('complaintRaised', { id: c.id, deadline: c.deadlineAt.slice(0, 10) }));
      $('complaint-form').reset();
    } catch (err) { fail(err); }
  });

  $('email-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    clear();
    try {
      const res = await call('POST', '/cabinet/api/email', { email: $('email-address').value.trim() });
      await load();
      show('info', t(res.state === 'confirmed' ? 'emailConfirmed' : 'emailSent', { email: res.email }));
      $('email-form').reset();
    } catch (err) { fail(err); }
  });

  $('h-current').tabIndex = -1;
  start().catch(fail);
})();
