/**
 * The tree of validated, uncommitted blocks above the committed root, and the 2-chain
 * commit rule. Invariant: every node's parent is another node or the root, and every node
 * was validated by the application before insertion.
 */
import type { Block, QuorumCertificate } from "../ledger/index.ts";
import { assert, toHex } from "../util/index.ts";
import type { ConsensusRoot } from "./types.ts";

export type TreeNode = {
  readonly block: Block;
  readonly hash: Uint8Array;
  readonly hashHex: string;
  readonly parentHex: string;
  readonly view: number;
  readonly height: number;
  /** View of the QC this block carries (the parent's view). */
  readonly justifyView: number;
};

export type RootNode = ConsensusRoot & { readonly hashHex: string };

export class BlockTree {
  private rootNode: RootNode;
  private readonly nodes = new Map<string, TreeNode>();
  private readonly blocksMax: number;

  constructor(root: ConsensusRoot, blocksMax: number) {
    assert(root.height === 0 || root.qc !== null, "BlockTree: a non-genesis root has a certifying QC");
    this.rootNode = { ...root, hashHex: toHex(root.hash) };
    this.blocksMax = blocksMax;
  }

  get root(): RootNode {
    return this.rootNode;
  }

  get size(): number {
    return this.nodes.size;
  }

  get isFull(): boolean {
    return this.nodes.size >= this.blocksMax;
  }

  get(hashHex: string): TreeNode | undefined {
    return this.nodes.get(hashHex);
  }

  /** Known as a node or as the root: something a child can be validated on. */
  isKnown(hashHex: string): boolean {
    return hashHex === this.rootNode.hashHex || this.nodes.has(hashHex);
  }

  /** Height and view of a known block (node or root). */
  position(hashHex: string): { readonly height: number; readonly view: number } | undefined {
    if (hashHex === this.rootNode.hashHex) return { height: this.rootNode.height, view: this.rootNode.view };
    return this.nodes.get(hashHex);
  }

  insert(node: TreeNode): void {
    assert(!this.isFull, "BlockTree.insert: caller checks isFull");
    const parent = this.position(node.parentHex);
    assert(parent !== undefined && parent.height + 1 === node.height && parent.view < node.view, "BlockTree.insert: node extends a known block");
    this.nodes.set(node.hashHex, node);
  }

  /**
   * 2-chain rule: a QC for block X commits X's parent P when X.view = P.view + 1 (P is
   * certified by X.justify, X by the QC, in consecutive views). Returns P, or undefined.
   */
  commitCandidate(certifiedHex: string): TreeNode | undefined {
    const certified = this.nodes.get(certifiedHex);
    if (certified === undefined || certified.justifyView + 1 !== certified.view) return undefined;
    return this.nodes.get(certified.parentHex);
  }

  /** Nodes from just above the root up to `toHex`, ascending; undefined if not connected. */
  pathFromRoot(toHex: string): TreeNode[] | undefined {
    const path: TreeNode[] = [];
    let cursor = this.nodes.get(toHex);
    while (cursor !== undefined) {
      path.push(cursor);
      if (cursor.parentHex === this.rootNode.hashHex) return path.reverse();
      cursor = this.nodes.get(cursor.parentHex);
    }
    return undefined;
  }

  /** Makes `node` (with the QC certifying it) the new root; drops everything not descending from it. */
  advanceRoot(node: TreeNode, qc: QuorumCertificate): void {
    assert(qc.view === node.view && toHex(qc.blockHash) === node.hashHex, "advanceRoot: QC certifies the new root");
    this.rootNode = { hash: node.hash, hashHex: node.hashHex, height: node.height, view: node.view, block: node.block, qc };
    this.nodes.delete(node.hashHex);
    const keep = new Set<string>([node.hashHex]);
    // Ascending height, so a parent is classified before its children.
    const byHeight = [...this.nodes.values()].sort((a, b) => a.height - b.height);
    for (const candidate of byHeight) {
      if (candidate.height > node.height && keep.has(candidate.parentHex)) keep.add(candidate.hashHex);
      else this.nodes.delete(candidate.hashHex);
    }
  }
}
