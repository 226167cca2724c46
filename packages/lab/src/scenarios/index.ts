import type { Scenario } from '../scenario.js'
import { churn } from './churn.js'
import { integrity } from './integrity.js'
import { lan } from './lan.js'
import { nat } from './nat.js'
import { pieceSelection } from './piece-selection.js'
import { scaling } from './scaling.js'
import { seeders } from './seeders.js'
import { simCheck } from './sim-check.js'
import { trackerDies } from './tracker-dies.js'
import { trackerless } from './trackerless.js'

/** Every scenario by name, in the order `all` runs them. */
export const scenarios: Record<string, Scenario> = {
  scaling,
  seeders,
  churn,
  'piece-selection': pieceSelection,
  nat,
  integrity,
  trackerless,
  'tracker-dies': trackerDies,
  'sim-check': simCheck,
  lan,
}
