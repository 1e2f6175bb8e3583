// The words of the board: its stages, its levels of involvement, the prompt
// in each cell and the names of roles. Ids are the contract's.

/** STAGES are the board's rows, in the contract's order. */
export const STAGES = [
  { id: 'plan', name: 'Plan', about: 'choosing what to measure' },
  { id: 'do', name: 'Do', about: 'gathering the information' },
  { id: 'assess', name: 'Assess', about: 'making sense of it' },
  { id: 'review', name: 'Review', about: 'acting on what you learned' },
];

/** LEVELS are the board's columns, from least to most shared power. */
export const LEVELS = [
  { id: 'consultation', name: 'Consultation', about: 'You ask people what they think, then you decide.' },
  { id: 'conversation', name: 'Conversation', about: 'You talk it through with people and shape it together.' },
  { id: 'participation', name: 'Participation', about: 'People who use the service do the work with you and share the decisions.' },
];

const PROMPTS = {
  plan: {
    consultation: 'Show people your draft list of what to measure and ask what they would change.',
    conversation: 'Sit down together and talk through what is worth measuring, and why.',
    participation: 'People who use the service help make the final call on what gets measured.',
  },
  do: {
    consultation: 'Ask people how the questions, forms or methods you plan to use feel to them.',
    conversation: 'Work out together how, when and where the information will be gathered.',
    participation: 'People who use the service help gather it, for example by interviewing their peers.',
  },
  assess: {
    consultation: 'Share what you found and ask whether it rings true or reads differently to them.',
    conversation: 'Go through the results side by side and settle what they are telling you.',
    participation: 'People who use the service help sort, study and explain the findings.',
  },
  review: {
    consultation: 'Tell people what you mean to change because of the findings and ask what they think.',
    conversation: 'Talk together about what should change, and who will do what.',
    participation: 'People who use the service help carry out the changes and share the results.',
  },
};

/** CREDIT names the source of the stages-by-levels grid. */
export const CREDIT = 'Grid adapted from the Inspiring Impact guidance by NPC';

/** prompt returns what a level of involvement looks like at a stage. */
export function prompt(stage, level) {
  return PROMPTS[stage][level];
}

/** stageName turns a stage id into the word people read. */
export function stageName(id) {
  return STAGES.find((s) => s.id === id)?.name ?? id;
}

/** levelName turns a level id into the word people read. */
export function levelName(id) {
  return LEVELS.find((l) => l.id === id)?.name ?? id;
}

/** placeName names a card's place: a cell, or the tray when stage is null. */
export function placeName(stage, level) {
  return stage ? `${stageName(stage)}, ${levelName(level)}` : 'not placed yet';
}

const ROLES = { serviceUser: 'service user', staff: 'staff', facilitator: 'facilitator' };

/** roleName is how a card shows who wrote it: by role, never by name. */
export function roleName(role) {
  return ROLES[role] ?? 'someone';
}

const PHASES = {
  open: { name: 'Open', about: 'Everyone sees every idea as it comes in.' },
  private: { name: 'Private', about: 'Write your own ideas. Other people’s stay face down until the facilitator reveals them all.' },
  locked: { name: 'Paused', about: 'The board is read only for now.' },
  closed: { name: 'Finished', about: 'The workshop is over. Thank you for taking part.' },
};

/** PHASE_IDS are the contract's phases, in the order a workshop runs them. */
export const PHASE_IDS = Object.keys(PHASES);

/** phaseName is a phase's short name. */
export function phaseName(phase) {
  return PHASES[phase]?.name ?? phase;
}

/** phaseAbout says what a phase means for the people in the room. */
export function phaseAbout(phase) {
  return PHASES[phase]?.about ?? '';
}
