import { Route, Routes } from 'react-router';
import { TillClaims } from './TillClaims';
import { TillPayouts } from './TillPayouts';
import { TillSale } from './TillSale';

export default function CashierRoutes() {
  return (
    <Routes>
      <Route index element={<TillSale />} />
      <Route path="claims" element={<TillClaims />} />
      <Route path="payouts" element={<TillPayouts />} />
    </Routes>
  );
}
