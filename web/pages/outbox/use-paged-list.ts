/** How many mails a page of a list asks for. */
export const PAGE = 50;
