/**
 * App entry: mounts the Solid root. The UI never touches tensors; it talks to workers through protocol/.
 */
import { render } from 'solid-js/web';
import { App } from './App';

render(() => <App />, document.getElementById('root')!);
