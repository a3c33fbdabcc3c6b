import { api, call, newIdempotencyKey } from '../../api/client';
import type { components } from '../../api/schema';
import { useSession } from '../../app/session';
import { useI18n, type MessageKey } from '../../i18n';
import { Button, Loading, Notice, Page, ProblemAlert, StatusBadge, useAction, useLoad } from '../../ui/components';
import { QrCode } from '../../ui/qr';
import { useRef, useState } from 'react';
import { LotteryPanel, WaitlistPanel } from './Allocation';

type Voucher = components['schemas']['VoucherDto'];
type Availability = components['schemas']['CityAvailabilityDto'];

/** Today's state for the household's city in each running programme, the voucher to take, and the vouchers held. */
export function HouseholdHome() {
  const { t } = useI18n();
  const { me } = useSession();
  const city = me?.city ?? '';
  const data = useLoad(async () => {
    const [programs, vouchers] = await Promise.all([
      call(() => api.GET('/v1/public/programs')),
      call(() => api.GET('/v1/household/vouchers')),
    ]);
    const availability = await Promise.all(programs.items.map(async (p) => {
      const a = await call(() => api.GET('/v1/public/programs/{code}/availability', { params: { path: { code: p.code } } }));
      return { program: p, city: a.cities.find((c) => c.city === city) };
    }));
    return { availability, vouchers: vouchers.items };
  }, [city]);

  return (
    <Page title={t('household.title')}>
      {data.loading && !data.data && <Loading />}
      <ProblemAlert error={data.error} />
      {data.data && data.data.availability.length === 0 && <Notice>{t('household.noProgram')}</Notice>}
      {data.data?.availability.map(({ program, city: a }) => (
        <ProgramCard key={program.code} code={program.code} name={program.name} startsAt={program.startsAt} availability={a} city={city}
          open={data.data!.vouchers.find((v) => v.programCode === program.code && v.status === 'open')} onTaken={data.reload} />
      ))}
      {data.data && data.data.vouchers.length > 0 && (
        <section aria-labelledby="vouchers-h">
          <h2 id="vouchers-h">{t('household.vouchers')}</h2>
          <ul className="list">
            {data.data.vouchers.map((v) => (
              <li key={v.code} className="list-row">
                <span className="mono">{v.code}</span> <StatusBadge status={v.status} />
              </li>
            ))}
          </ul>
        </section>
      )}
    </Page>
  );
}

function ProgramCard({ code, name, startsAt, availability, city, open, onTaken }: {
  code: string; name: string; startsAt: string; availability?: Availability; city: string; open?: Voucher; onTaken: () => void;
}) {
  const { t, time } = useI18n();
  // one key per attempt to take a voucher: a double tap or a retry after a dropped answer takes one voucher
  const key = useRef(newIdempotencyKey());
  const take = useAction(async () => {
    await call(() => api.POST('/v1/household/vouchers', { body: { programCode: code }, headers: { 'Idempotency-Key': key.current } }));
    key.current = newIdempotencyKey();
    onTaken();
  });
  const started = new Date(startsAt).getTime() <= Date.now();
  let state: { kind: 'info' | 'ok' | 'warn'; text: string; canTake: boolean };
  if (!started) state = { kind: 'info', text: t('household.notStarted'), canTake: false };
  else if (!availability) state = { kind: 'info', text: t('household.noProgram'), canTake: false };
  else if (availability.budget === 'paused') state = { kind: 'warn', text: t('household.paused'), canTake: false };
  else if (availability.vouchersLeftToday > 0) state = { kind: 'ok', text: t('household.open', { n: availability.vouchersLeftToday }), canTake: true };
  else state = { kind: 'warn', text: availability.nextReleaseAt ? t('household.soldOut', { next: time(availability.nextReleaseAt) }) : t('household.soldOutNoNext'), canTake: false };
  // sold out after today's release (before it, vouchersLeftToday is the whole quota): the waitlist is open
  const soldOut = started && !!availability && availability.budget === 'open' && availability.vouchersLeftToday === 0;
  return (
    <section className="card" aria-labelledby={`p-${code}`}>
      <h2 id={`p-${code}`}>{name}</h2>
      <p className="muted">{t('household.today', { city: t(`city.${city}` as MessageKey) })}</p>
      {open && <VoucherCard voucher={open} onGivenUp={onTaken} />}
      {/* issue 13: a lottery city's entry and its status; a first-come city's waitlist once sold out */}
      {started && availability?.allocation === 'lottery' ? (
        <LotteryPanel programCode={code} availability={availability} holdsVoucher={!!open} onChange={onTaken} />
      ) : !open && (
        <>
          <Notice kind={state.kind}>{state.text}</Notice>
          {state.canTake && <Button onClick={() => void take.run()} busy={take.busy}>{t('household.take')}</Button>}
          <ProblemAlert error={take.error} />
          {soldOut && <WaitlistPanel programCode={code} onChange={onTaken} />}
        </>
      )}
    </section>
  );
}

function VoucherCard({ voucher, onGivenUp }: { voucher: Voucher; onGivenUp: () => void }) {
  const { t, time, yuan } = useI18n();
  // giving up is final: asked twice, sent with one key (a double tap or a retry gives up once)
  const [asking, setAsking] = useState(false);
  const key = useRef(newIdempotencyKey());
  const giveUp = useAction(async () => {
    await call(() => api.POST('/v1/household/vouchers/{code}/give-up', { params: { path: { code: voucher.code } }, headers: { 'Idempotency-Key': key.current } }));
    onGivenUp();
  });
  return (
    <div className="voucher" data-testid="voucher">
      <h3>{t('household.voucher')}</h3>
      <QrCode value={voucher.code} label={t('household.voucherQr', { code: voucher.code })} />
      <p className="voucher-code"><span className="muted">{t('household.voucherCode')}</span> <strong className="mono">{voucher.code}</strong></p>
      <p>{t('household.reserved', { amount: yuan(voucher.reservedFen) })}</p>
      <p>{t('household.expires', { time: time(voucher.expiresAt) })}</p>
      <p className="muted">{t('household.voucherShow')}</p>
      {!asking && <Button kind="secondary" onClick={() => setAsking(true)}>{t('household.giveUp')}</Button>}
      {asking && (
        <div role="group" aria-label={t('household.giveUp')}>
          <Notice kind="warn">{t('household.giveUpConfirm')}</Notice>
          <Button kind="danger" onClick={() => void giveUp.run()} busy={giveUp.busy}>{t('household.giveUpYes')}</Button>{' '}
          <Button kind="secondary" onClick={() => setAsking(false)}>{t('household.giveUpNo')}</Button>
        </div>
      )}
      <ProblemAlert error={giveUp.error} />
    </div>
  );
}

