import { useCallback, useEffect, useMemo, useRef, useState, type FormEvent } from 'react';
import { api, call, newIdempotencyKey } from '../../api/client';
import type { components } from '../../api/schema';
import { useI18n } from '../../i18n';
import { parseYuan, shanghaiIso, shanghaiLocalNow } from '../../i18n/format';
import { checkResidentId } from '../../i18n/resident-id';
import { Button, Field, Loading, Notice, Page, ProblemAlert, Select, StatusBadge, useAction, useLoad } from '../../ui/components';
import { Scanner } from './Scanner';

type Model = components['schemas']['CatalogModelDto'];
type Quote = components['schemas']['TradeInQuoteDto'];
type Result = components['schemas']['TradeInResultDto'];
type Body = components['schemas']['TradeInDto'];

/** The receipt's rid, read from its payload for the cashier to see (the platform verifies the signature). */
function receiptRid(jws: string): string | undefined {
  const part = jws.trim().split('.')[1];
  if (!part) return undefined;
  try {
    const json = JSON.parse(new TextDecoder().decode(Uint8Array.from(atob(part.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0))));
    return typeof json.rid === 'string' ? json.rid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A sale at the till: voucher (QR or typed), the customer's ID number, the recycling receipt (QR or pasted), the
 * model from the approved catalogue (name or GTIN), serial, price and invoice. "Work out the subsidy" runs every
 * check without changing anything (POST /v1/retailer/trade-ins/quote); confirming submits with an Idempotency-Key
 * made once for that quoted sale, so a double tap or a retry after a dropped connection makes one claim.
 */
export function TillSale() {
  const { t, yuan } = useI18n();
  const stores = useLoad(() => call(() => api.GET('/v1/retailer/stores')), []);
  const [storeCode, setStoreCode] = useState('');
  const [voucherCode, setVoucherCode] = useState('');
  const [idNumber, setIdNumber] = useState('');
  const [receipt, setReceipt] = useState('');
  const [model, setModel] = useState<Model>();
  const [serial, setSerial] = useState('');
  const [price, setPrice] = useState('');
  const [invoice, setInvoice] = useState('');
  const [soldAt, setSoldAt] = useState(shanghaiLocalNow);
  const [quote, setQuote] = useState<Quote>();
  const [result, setResult] = useState<Result>();
  const saleKey = useRef<string>(newIdempotencyKey());

  useEffect(() => {
    if (!storeCode && stores.data?.items[0]) setStoreCode(stores.data.items[0].code);
  }, [stores.data, storeCode]);

  const priceFen = parseYuan(price);
  const id = checkResidentId(idNumber);
  const rid = receipt ? receiptRid(receipt) : undefined;
  const body: Body | undefined = useMemo(() => {
    if (!storeCode || !voucherCode.trim() || id.state !== 'ok' || !receipt.trim() || !model || !serial.trim() || priceFen === undefined || !invoice.trim()) return undefined;
    return {
      voucherCode: voucherCode.trim().toUpperCase(), householdIdNumber: idNumber.trim().toUpperCase(), storeCode, modelCode: model.modelCode,
      serialNumber: serial.trim(), salePriceFen: priceFen, invoiceNumber: invoice.trim(), soldAt: shanghaiIso(soldAt), recyclingReceipt: receipt.trim(),
    };
  }, [storeCode, voucherCode, id.state, idNumber, receipt, model, serial, priceFen, invoice, soldAt]);

  // any change after a quote means a new quote (and a new sale key when it is confirmed)
  const edited = useCallback(<T,>(set: (v: T) => void) => (v: T) => {
    set(v);
    setQuote(undefined);
  }, []);

  const quoting = useAction(async (b: Body) => {
    const q = await call(() => api.POST('/v1/retailer/trade-ins/quote', { body: b }));
    saleKey.current = newIdempotencyKey();
    setQuote(q);
  });
  const submitting = useAction(async (b: Body) => {
    const r = await call(() => api.POST('/v1/retailer/trade-ins', { body: b, params: { header: { 'Idempotency-Key': saleKey.current } } }));
    setResult(r);
  });

  const reset = () => {
    setVoucherCode(''); setIdNumber(''); setReceipt(''); setModel(undefined); setSerial(''); setPrice(''); setInvoice('');
    setSoldAt(shanghaiLocalNow()); setQuote(undefined); setResult(undefined); quoting.clear(); submitting.clear();
    saleKey.current = newIdempotencyKey();
  };

  const onQuote = (e: FormEvent) => {
    e.preventDefault();
    if (body) void quoting.run(body);
  };

  if (stores.loading && !stores.data) return <Page title={t('cashier.title')}><Loading /></Page>;

  if (result) {
    return (
      <Page title={t('cashier.title')}>
        <div className="card" data-testid="sale-done">
          <Notice kind="ok">{t('cashier.done', { amount: yuan(result.subsidy.amountFen), paid: yuan(result.payableByCustomerFen) })}</Notice>
          <p>{t('cashier.doneStatus', { id: result.claimId })} <StatusBadge status={result.status} /></p>
          <p className="big">{t('cashier.customerPays')} {yuan(result.payableByCustomerFen)}</p>
          <Button onClick={reset} autoFocus>{t('cashier.newSale')}</Button>
        </div>
      </Page>
    );
  }

  return (
    <Page title={t('cashier.title')} wide>
      <ProblemAlert error={stores.error} />
      <form className="till" onSubmit={onQuote} noValidate>
        <div className="till-grid">
          <fieldset className="card">
            <legend>{t('cashier.step.voucher')}</legend>
            <Select label={t('cashier.store')} value={storeCode} onChange={(e) => edited(setStoreCode)(e.target.value)}
              options={(stores.data?.items ?? []).map((s) => ({ value: s.code, label: `${s.name} (${s.code})` }))} />
            <Field label={t('cashier.voucherCode')} name="voucherCode" autoComplete="off" value={voucherCode} onChange={(e) => edited(setVoucherCode)(e.target.value)} className="mono" />
            <Scanner label={t('cashier.voucherCode')} onRead={(text) => edited(setVoucherCode)(text.trim())} />
          </fieldset>
          <fieldset className="card">
            <legend>{t('cashier.step.customer')}</legend>
            <Field label={t('cashier.idNumber')} name="idNumber" autoComplete="off" maxLength={18} value={idNumber} onChange={(e) => edited(setIdNumber)(e.target.value)}
              hint={idNumber === '' ? undefined : id.state === 'ok' ? t('register.idOk') : id.state === 'bad' ? t('register.idBad') : t('register.idShort', { n: id.missing })}
              status={idNumber === '' ? undefined : id.state === 'ok' ? 'ok' : id.state === 'bad' ? 'bad' : undefined} />
          </fieldset>
          <fieldset className="card">
            <legend>{t('cashier.step.receipt')}</legend>
            <div className="field">
              <label htmlFor="receipt">{t('cashier.receipt')}</label>
              <textarea id="receipt" name="receipt" rows={3} spellCheck={false} className="mono" value={receipt} onChange={(e) => edited(setReceipt)(e.target.value)} />
            </div>
            {rid && <p className="hint hint-ok" role="status">{t('cashier.receiptRead', { rid })}</p>}
            <Scanner label={t('cashier.receipt')} onRead={(text) => edited(setReceipt)(text.trim())} />
          </fieldset>
          <fieldset className="card">
            <legend>{t('cashier.step.tv')}</legend>
            <ModelPicker model={model} onPick={edited(setModel)} />
            <Field label={t('cashier.serial')} name="serial" autoComplete="off" value={serial} onChange={(e) => edited(setSerial)(e.target.value)} />
            <Field label={t('cashier.price')} name="price" inputMode="decimal" autoComplete="off" value={price} onChange={(e) => edited(setPrice)(e.target.value)}
              error={price !== '' && priceFen === undefined ? t('cashier.priceBad') : undefined} />
            <Field label={t('cashier.invoice')} name="invoice" autoComplete="off" value={invoice} onChange={(e) => edited(setInvoice)(e.target.value)} />
            <Field label={t('cashier.soldAt')} name="soldAt" type="datetime-local" value={soldAt} onChange={(e) => edited(setSoldAt)(e.target.value)} />
          </fieldset>
        </div>
        {!quote && (
          <div className="actions">
            <Button type="submit" busy={quoting.busy} disabled={!body}>{t('cashier.quote')}</Button>
            {!body && <span className="muted">{t('cashier.incomplete')}</span>}
          </div>
        )}
        <ProblemAlert error={quoting.error} />
      </form>
      {quote && body && (
        <section className="card quote" aria-labelledby="quote-h" data-testid="quote">
          <h2 id="quote-h">{t('cashier.quoteTitle')}</h2>
          <dl className="summary">
            <dt>{t('cashier.col.price')}</dt><dd>{yuan(body.salePriceFen)}</dd>
            <dt>{t('cashier.subsidy')}</dt><dd>{yuan(quote.subsidy.amountFen)} {quote.subsidy.capped && <span className="badge">{t('cashier.capped')}</span>}</dd>
            <dt>{t('cashier.customerPays')}</dt><dd className="big">{yuan(quote.payableByCustomerFen)}</dd>
          </dl>
          <p className="muted">{t('cashier.rate', { rate: quote.subsidy.rateBp / 100, cap: yuan(quote.subsidy.capFen) })}</p>
          <p>{quote.status === 'pending_review' ? t('cashier.willReview') : t('cashier.willApprove')}</p>
          <div className="actions">
            <Button onClick={() => void submitting.run(body)} busy={submitting.busy}>{t('cashier.confirm')}</Button>
            <Button kind="secondary" onClick={() => setQuote(undefined)} disabled={submitting.busy}>{t('cashier.edit')}</Button>
          </div>
          <ProblemAlert error={submitting.error} />
        </section>
      )}
    </Page>
  );
}

/** The approved catalogue by name or GTIN: typing (or a barcode scanner typing) searches, a click picks. */
function ModelPicker({ model, onPick }: { model?: Model; onPick: (m: Model | undefined) => void }) {
  const { t } = useI18n();
  const [q, setQ] = useState('');
  const [found, setFound] = useState<Model[]>();
  const [error, setError] = useState<unknown>();
  useEffect(() => {
    const term = q.trim();
    if (!term) {
      setFound(undefined);
      return;
    }
    const timer = window.setTimeout(() => {
      call(() => api.GET('/v1/retailer/catalog', { params: { query: { q: term } } }))
        .then((r) => { setFound(r.items); setError(undefined); }, setError);
    }, 250);
    return () => window.clearTimeout(timer);
  }, [q]);
  return (
    <div className="model-picker">
      <Field label={t('cashier.model')} name="model" type="search" autoComplete="off" value={q} onChange={(e) => { setQ(e.target.value); onPick(undefined); }} />
      {model && <p className="hint hint-ok" role="status">{t('cashier.modelPicked', { brand: model.brand, name: model.name, resolution: model.resolution, grade: model.energyGrade })}</p>}
      {!model && found && found.length === 0 && <p className="hint">{t('cashier.modelNone')}</p>}
      {!model && found && found.length > 0 && (
        <ul className="list picker-list">
          {found.map((m) => (
            <li key={m.modelCode}>
              <button type="button" className="btn btn-secondary picker-item" onClick={() => onPick(m)}>
                <strong>{m.brand} {m.name}</strong> <span className="mono">{m.modelCode}</span> · {m.resolution} · {m.screenInches}″ · GTIN {m.gtin}
              </button>
            </li>
          ))}
        </ul>
      )}
      <ProblemAlert error={error} />
    </div>
  );
}
