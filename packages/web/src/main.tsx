import { render } from 'preact';
import { App } from './ui/App.js';
import './styles.css';

render(<App />, document.getElementById('app')!);
// For the e2e suite's time-to-interactive figure: the first screen is rendered and handles input.
requestAnimationFrame(() => performance.mark('natter:first-screen'));
