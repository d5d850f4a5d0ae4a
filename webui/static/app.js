// The page's entry: reads the server's configuration, signs in, routes.
const main = document.getElementById('main');
const config = await (await fetch('api/config')).json();
main.replaceChildren();
const h = document.createElement('h1');
h.textContent = 'Sign in';
main.append(h);
const p = document.createElement('p');
p.textContent = `Development sign-in: ${config.devSignIn ? 'on' : 'off'}.`;
main.append(p);
