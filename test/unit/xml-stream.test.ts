import { XML_DECLARATION, el, renderXmlDocument, xmlClose, xmlLeaf, xmlOpen } from '../../domain/xml';

// camt.054 is written with the streaming pieces; pain.001 with the tree. Both must give the same
// bytes for the same document, escaping and indentation included.
describe('streamed XML', () => {
  it('writes the same bytes as the tree renderer', () => {
    const tree = el('Document', [
      el('Hdr', [el('Id', 'a&b <c> "d" \'e\''), el('Amt', '1.00', [['Ccy', 'KZT']])]),
      el('Deep', [el('Deeper', [el('Deepest', 'x')])]),
    ], [['xmlns', 'urn:x&y']]);
    const streamed = `${XML_DECLARATION}\n${xmlOpen(0, 'Document', [['xmlns', 'urn:x&y']])}`
      + `${xmlOpen(1, 'Hdr')}${xmlLeaf(2, 'Id', 'a&b <c> "d" \'e\'')}${xmlLeaf(2, 'Amt', '1.00', [['Ccy', 'KZT']])}${xmlClose(1, 'Hdr')}`
      + `${xmlOpen(1, 'Deep')}${xmlOpen(2, 'Deeper')}${xmlLeaf(3, 'Deepest', 'x')}${xmlClose(2, 'Deeper')}${xmlClose(1, 'Deep')}${xmlClose(0, 'Document')}`;
    expect(streamed).toBe(renderXmlDocument(tree));
  });
});
