import { Route, Routes } from 'react-router';
import { HouseholdClaims } from './HouseholdClaims';
import { HouseholdHome } from './HouseholdHome';

export default function HouseholdRoutes() {
  return (
    <Routes>
      <Route index element={<HouseholdHome />} />
      <Route path="claims" element={<HouseholdClaims />} />
    </Routes>
  );
}
