// The web app of Loa (issue #5): what operators, leaders and technicians use every day.
import { render } from 'preact';
import './styles/index.css';
import { App } from './app.js';

render(<App />, document.getElementById('app')!);
