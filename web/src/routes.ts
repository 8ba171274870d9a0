// The screens of the app, one folder each under screens/. Later issues add theirs here (Live,
// Emergency, Reports…): an entry, a dictionary label and a folder, nothing else.
import type { ComponentType } from 'preact';
import type { Key } from './i18n/index.js';
import type { Permission } from './lib/types.js';

export interface ScreenProps {
  /** Path segments after the screen's own: `#/units/cum-1` gives ['cum-1'] to the units screen. */
  rest: string[];
  params: URLSearchParams;
}

export interface ScreenDef {
  id: string;
  label: Key;
  /** Needed to see the screen in the menu and to open it. */
  permission?: Permission;
  /** Shown in the main menu (the account page is reached from the user menu). */
  menu: boolean;
  load: () => Promise<{ default: ComponentType<ScreenProps> }>;
}

export const SCREENS: readonly ScreenDef[] = [
  { id: 'dashboard', label: 'nav.dashboard', menu: true, load: () => import('./screens/dashboard/index.js') },
  {
    id: 'bulletins',
    label: 'nav.bulletins',
    permission: 'bulletins:read',
    menu: true,
    load: () => import('./screens/bulletins/index.js'),
  },
  {
    id: 'emergency',
    label: 'nav.emergency',
    permission: 'emergency',
    menu: true,
    load: () => import('./screens/emergency/index.js'),
  },
  {
    id: 'live',
    label: 'nav.live',
    permission: 'live',
    menu: true,
    load: () => import('./screens/live/index.js'),
  },
  {
    id: 'schedule',
    label: 'nav.schedule',
    permission: 'schedule:read',
    menu: true,
    load: () => import('./screens/schedule/index.js'),
  },
  {
    id: 'units',
    label: 'nav.units',
    permission: 'units:read',
    menu: true,
    load: () => import('./screens/units/index.js'),
  },
  {
    id: 'alerts',
    label: 'nav.alerts',
    permission: 'alerts:read',
    menu: true,
    load: () => import('./screens/alerts/index.js'),
  },
  {
    id: 'reports',
    label: 'nav.reports',
    permission: 'playlog:read',
    menu: true,
    load: () => import('./screens/reports/index.js'),
  },
  {
    id: 'users',
    label: 'nav.users',
    permission: 'users:manage',
    menu: true,
    load: () => import('./screens/users/index.js'),
  },
  {
    id: 'settings',
    label: 'nav.settings',
    permission: 'schedule:read',
    menu: true,
    load: () => import('./screens/settings/index.js'),
  },
  { id: 'account', label: 'nav.account', menu: false, load: () => import('./screens/account/index.js') },
];

export const DEFAULT_SCREEN = 'dashboard';
