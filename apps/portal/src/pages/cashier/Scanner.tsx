import { useEffect, useRef, useState } from 'react';
import { useI18n } from '../../i18n';
import { Button, Notice } from '../../ui/components';
import { loadQrDecoder, readQrFromFile, readQrFromSource } from '../../ui/qr-read';

/**
 * Reads a QR code with the device's camera (rear camera on a tablet) or from a photo; decoding happens in the
 * page (jsQR), nothing is uploaded. `onRead` gets the text once; the camera stops itself.
 */
export function Scanner({ label, onRead }: { label: string; onRead: (text: string) => void }) {
  const { t } = useI18n();
  const [scanning, setScanning] = useState(false);
  const [message, setMessage] = useState<string>();
  const video = useRef<HTMLVideoElement>(null);
  const stream = useRef<MediaStream | undefined>(undefined);

  const stop = () => {
    stream.current?.getTracks().forEach((tr) => tr.stop());
    stream.current = undefined;
    setScanning(false);
  };
  useEffect(() => stop, []);

  useEffect(() => {
    if (!scanning) return;
    let raf = 0;
    let jsQR: Awaited<ReturnType<typeof loadQrDecoder>> | undefined;
    void loadQrDecoder().then((d) => { jsQR = d; });
    const tick = () => {
      const v = video.current;
      if (jsQR && v && v.readyState >= 2 && v.videoWidth) {
        const text = readQrFromSource(jsQR, v, v.videoWidth, v.videoHeight);
        if (text) {
          stop();
          onRead(text);
          return;
        }
      }
      raf = window.setTimeout(tick, 200);
    };
    tick();
    return () => window.clearTimeout(raf);
  }, [scanning, onRead]);

  const startCamera = async () => {
    setMessage(undefined);
    try {
      stream.current = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' }, audio: false });
      setScanning(true);
      requestAnimationFrame(() => {
        if (video.current && stream.current) {
          video.current.srcObject = stream.current;
          void video.current.play();
        }
      });
    } catch {
      setMessage(t('cashier.scanNoCamera'));
    }
  };

  const fromPhoto = async (file: File | undefined) => {
    setMessage(undefined);
    if (!file) return;
    const text = await readQrFromFile(file).catch(() => undefined);
    if (text) onRead(text);
    else setMessage(t('cashier.scanNone'));
  };

  return (
    <div className="scanner">
      <div className="actions">
        {scanning
          ? <Button type="button" kind="secondary" onClick={stop}>{t('cashier.scanStop')}</Button>
          : <Button type="button" kind="secondary" onClick={() => void startCamera()}>{t('cashier.scanCamera')}</Button>}
        <label className="btn btn-secondary file-button">
          {t('cashier.scanPhoto')}
          <input type="file" accept="image/*" capture="environment" className="visually-hidden" aria-label={`${label}: ${t('cashier.scanPhoto')}`}
            onChange={(e) => { void fromPhoto(e.target.files?.[0]); e.target.value = ''; }} />
        </label>
      </div>
      {scanning && (
        <>
          <p className="muted" role="status">{t('cashier.scanning')}</p>
          <video ref={video} className="scanner-video" muted playsInline aria-label={label} />
        </>
      )}
      {message && <Notice kind="warn">{message}</Notice>}
    </div>
  );
}
