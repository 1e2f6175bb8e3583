// Kind, random nicknames for people who would rather not give their name.

const KIND = ['Kind', 'Bright', 'Calm', 'Brave', 'Gentle', 'Sunny', 'Warm', 'Clever', 'Cheerful', 'Steady', 'Patient', 'Hopeful'];
const THINGS = ['Otter', 'Robin', 'Heron', 'Fern', 'Maple', 'Badger', 'Wren', 'Willow', 'Puffin', 'Hedgehog', 'Clover', 'Finch'];

function any(list) {
  return list[Math.floor(Math.random() * list.length)];
}

/** nickname suggests a friendly two-word name such as "Calm Heron". */
export function nickname() {
  return `${any(KIND)} ${any(THINGS)}`;
}
