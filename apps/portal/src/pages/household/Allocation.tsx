import { useRef } from 'react';
import { Link } from 'react-router';
import { api, call, newIdempotencyKey } from '../../api/client';
import type { components } from '../../api/schema';
import { useI18n } from '../../i18n';
import { Button, Notice, ProblemAlert, useAction, useLoad } from '../../ui/components';

type Availability = components['schemas']['CityAvailabilityDto'];
type Entry = components['schemas']['LotteryEntryDto'];

/**
 * A lottery city (issue 13): the entry window, "enter tomorrow's draw", and where the household stands — entered,
 * won (the voucher is shown above), not drawn (carried into the next draw) — with a link to the public draw.
 */
export function LotteryPanel({ programCode, availability, holdsVoucher, onChange }: {
  programCode: string; availability: Availability; holdsVoucher: boolean; onChange: () => void;
}) {
  const { t } = useI18n();
  const entries = useLoad(() => call(() => api.GET('/v1/household/lottery-entries')), [programCode]);
  // one key per attempt: a double tap or a retry after a dropped answer enters once
  const key = useRef(newIdempotencyKey());
  const enter = useAction(async () => {
    await call(() => api.POST('/v1/household/lottery-entries', { body: { programCode }, headers: { 'Idempotency-Key': key.current } }));
    key.current = newIdempotencyKey();
    entries.reload();
    onChange();
  });
  const mine = (entries.data?.items ?? []).filter((e) => e.programCode === programCode);
  const pending = mine.find((e) => e.status === 'entered');
  const latestDrawn = mine.find((e) => e.status !== 'entered');
  // the draw's time of day: the API's times carry +08:00, so HH:MM is Shanghai's
  const release = availability.nextReleaseAt ? availability.nextReleaseAt.slice(11, 16) : '—';
  return (
    <div className="lottery" data-testid="lottery">
      <Notice>
        {t('allocation.lotteryToday', { city: t(`city.${availability.city}` as never) })}
        <br />
        {t('allocation.window', { opens: availability.entryOpens ?? '', closes: availability.entryCloses ?? '', release })}
      </Notice>
      {latestDrawn && <EntryStatus entry={latestDrawn} />}
      {pending && <EntryStatus entry={pending} />}
      {!pending && !holdsVoucher && entries.data && (
        <Button onClick={() => void enter.run()} busy={enter.busy}>{t('allocation.enter')}</Button>
      )}
      <ProblemAlert error={enter.error ?? entries.error} />
    </div>
  );
}

function EntryStatus({ entry }: { entry: Entry }) {
  const { t, time } = useI18n();
  let text: string;
  let kind: 'ok' | 'info' | 'warn' = 'info';
  if (entry.status === 'entered') {
    text = t('allocation.entered', { date: entry.drawDate, time: time(entry.drawAt) });
    kind = 'ok';
  } else if (entry.status === 'won') {
    text = t('allocation.won');
    kind = 'ok';
  } else if (entry.status === 'not_drawn') {
    text = entry.carriedTo ? t('allocation.notDrawn', { date: entry.carriedTo }) : t('allocation.notDrawnEnded');
    kind = 'warn';
  } else {
    text = t('allocation.withdrawn');
  }
  return (
    <div className="entry-status" data-testid={`entry-${entry.status}`}>
      <Notice kind={kind}>{text}</Notice>
      <p className="muted">
        {t('allocation.entryId')} <span className="mono">{entry.entryId.slice(0, 12)}…</span>{' '}
        <Link to={`/draws/${entry.programCode}/${entry.city}/${entry.drawDate}`}>{t('allocation.checkDraw')}</Link>
      </p>
    </div>
  );
}

/** A first-come city after sold out: join today's waitlist, or see the place in line or the voucher it gave. */
export function WaitlistPanel({ programCode, onChange }: { programCode: string; onChange: () => void }) {
  const { t } = useI18n();
  const list = useLoad(() => call(() => api.GET('/v1/household/waitlist')), [programCode]);
  const key = useRef(newIdempotencyKey());
  const join = useAction(async () => {
    await call(() => api.POST('/v1/household/waitlist', { body: { programCode }, headers: { 'Idempotency-Key': key.current } }));
    key.current = newIdempotencyKey();
    list.reload();
    onChange();
  });
  const today = (list.data?.items ?? []).find((w) => w.programCode === programCode && w.status !== 'lapsed');
  return (
    <div className="waitlist" data-testid="waitlist">
      {today?.status === 'waiting' && <Notice kind="ok">{t('allocation.waiting', { n: today.position ?? 0 })}</Notice>}
      {today?.status === 'served' && <Notice kind="ok">{t('allocation.waitServed')}</Notice>}
      {today?.status === 'skipped' && <Notice kind="warn">{t('allocation.waitSkipped')}</Notice>}
      {!today && list.data && (
        <>
          <p className="muted">{t('allocation.waitlistHint')}</p>
          <Button kind="secondary" onClick={() => void join.run()} busy={join.busy}>{t('allocation.waitlist')}</Button>
        </>
      )}
      <ProblemAlert error={join.error ?? list.error} />
    </div>
  );
}
