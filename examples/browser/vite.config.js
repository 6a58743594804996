// Relative asset paths so the built site works from any static folder.
export default { base: './' };
