// The home page: texts and the language switch only (app.js does both on import).
import './app.js';
