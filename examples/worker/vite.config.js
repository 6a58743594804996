// Relative asset paths so the built site works from any static folder; the worker as an ES module
// (the library loads Node's Dawn by a dynamic import that a classic worker bundle cannot hold).
export default { base: './', worker: { format: 'es' } };
